"""The locks in requirements/ are what pyproject.toml asks for, and what is installed; serving imports only what
the serving lock installs."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCKS = {"serve": (ROOT / "requirements" / "serve.txt", []), "train": (ROOT / "requirements" / "train.txt", ["train"]),
         "dev": (ROOT / "requirements" / "dev.txt", ["train", "test"])}


class Pin(NamedTuple):
    version: Version
    direct: bool  # asked for by pyproject.toml itself


def locked(path: Path) -> dict[str, Pin]:
    """Each package a pip-compile lock pins: a block that starts with its name==version, then its hashes."""
    pins = {}
    for block in re.split(r"^(?=[A-Za-z0-9])", path.read_text(), flags=re.M):
        if match := re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", block):
            assert "--hash=sha256:" in block, f"{path.name}: {match[1]} has no hash"
            pins[canonicalize_name(match[1])] = Pin(Version(match[2]), "mlsandbox (pyproject.toml)" in block)
    return pins


def asked(extras: list[str]) -> list[Requirement]:
    return [Requirement(r) for r in PROJECT["dependencies"] + [r for e in extras for r in PROJECT["optional-dependencies"][e]]]


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_pins_what_pyproject_asks_for(lock):
    path, extras = LOCKS[lock]
    pins = locked(path)
    for requirement in asked(extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is in pyproject.toml but not in {path.name}: run `make lock`"
        # the CPU build of torch is locked as 2.13.0+cpu, which torch==2.13.0 admits
        assert requirement.specifier.contains(pins[name].version), \
            f"pyproject.toml asks for {requirement}, {path.name} has {pins[name].version}: run `make lock`"
    stale = {name for name, pin in pins.items() if pin.direct} - {canonicalize_name(r.name) for r in asked(extras)}
    assert not stale, f"{path.name} locks {stale} for pyproject.toml, which no longer asks for it: run `make lock`"


def test_the_locks_agree_and_the_test_environment_is_the_dev_lock():
    serve, train, dev = (locked(LOCKS[name][0]) for name in ("serve", "train", "dev"))
    for smaller in (serve, train):  # what `make serve` and `make lab` install is what the suite tests
        assert all(dev.get(name) and dev[name].version == pin.version for name, pin in smaller.items()), \
            "a package locked at two versions: run `make lock`"
    installed = {canonicalize_name(d.metadata["Name"]): Version(d.version) for d in metadata.distributions()}
    drift = {name: (str(pin.version), str(installed.get(name))) for name, pin in dev.items() if installed.get(name) != pin.version}
    assert not drift, f"installed packages differ from requirements/dev.txt (locked, installed): {drift}; run `make test` " \
                      "on a fresh .venv (rm -r .venv)"


def test_serving_imports_nothing_that_only_the_dev_lock_installs():
    """The server, the CLI and every experiment's runtime, with the packages only training and tests need hidden."""
    only_dev = set(locked(LOCKS["dev"][0])) - set(locked(LOCKS["serve"][0]))
    hidden = sorted({module for module, dists in metadata.packages_distributions().items()
                     if {canonicalize_name(d) for d in dists} & only_dev})
    script = textwrap.dedent(f"""
        import sys
        from importlib.abc import MetaPathFinder
        HIDDEN = set({hidden!r})
        class Hide(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in HIDDEN:
                    raise ModuleNotFoundError(f"{{name}} is installed only for training and tests", name=name)
        sys.meta_path.insert(0, Hide())
        import mlsandbox.cli, mlsandbox.web.app
        from mlsandbox import experiments, runtime
        for e in experiments.REGISTRY.values():
            runtime.served(e)
        print("served", len(experiments.REGISTRY))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "served" in result.stdout, result.stderr[-3000:]
