"""The notebooks: they match notebooks/build.py, and they run top to bottom in fast mode without touching
the committed notebook files or the committed artifacts."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest

from mlsandbox import assets, experiments

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT = 300  # seconds; a fast run takes well under a minute per notebook


def load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build()


@pytest.mark.parametrize("experiment_id", list(build.NOTEBOOKS))
def test_committed_notebook_matches_build_script(experiment_id):
    committed = nbformat.read(build.path_of(experiment_id), as_version=4)
    expected = build.build(experiment_id)
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in expected.cells], (
        f"notebooks/{experiment_id}.ipynb is out of date: run `python notebooks/build.py --execute {experiment_id}`"
    )


@pytest.mark.slow
@pytest.mark.parametrize("experiment_id", list(build.NOTEBOOKS))
def test_notebook_runs_in_fast_mode(experiment_id, tmp_path, monkeypatch):
    from mlsandbox import train

    path = build.path_of(experiment_id)
    before = path.read_bytes()
    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv(train.FAST_ENV, "1")
    monkeypatch.setenv(experiments.ARTIFACTS_ENV, str(artifacts))  # the kernel inherits both

    notebook = nbformat.reads(before.decode(), as_version=4)  # an in-memory copy, never written back
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable, end='')"))
    build.execute(notebook, timeout=CELL_TIMEOUT)  # raises CellExecutionError on the first failing cell

    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert notebook.cells[-1].outputs[0].text == sys.executable  # the kernel was this very interpreter
    assert path.read_bytes() == before

    exported = artifacts / experiment_id
    assert (exported / "model.onnx").is_file()
    card = json.loads((exported / "card.json").read_text())
    assert card["id"] == experiment_id
    if experiments.get(experiment_id).pretrained:  # imported as it is: there is nothing to make smaller
        assert card["command"] == experiments.get(experiment_id).remake
        assert card["model"]["sha256"] == assets.sha256_of(exported / "model.onnx")
    else:
        assert card["command"].endswith("--fast")
        assert card["split"]["test"] < experiments.get(experiment_id).load_data().sizes()["test"]  # a subset


def test_fast_runs_export_to_scratch_unless_told_where(tmp_path, monkeypatch):
    from mlsandbox import train

    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(experiments.ARTIFACTS_ENV, "")  # unset, and restored afterwards
    assert train.use_fast_artifacts() == tmp_path / "cache" / "fast-artifacts"
    assert experiments.get("digits_cnn").artifact_dir == tmp_path / "cache" / "fast-artifacts" / "digits_cnn"

    monkeypatch.setenv(experiments.ARTIFACTS_ENV, str(tmp_path / "chosen"))
    assert train.use_fast_artifacts() == tmp_path / "chosen"
