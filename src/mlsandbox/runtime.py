"""ONNX Runtime sessions for serving: the trained models, without torch."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import NamedTuple

import numpy as np
import onnxruntime as ort

from mlsandbox.assets import sha256_of
from mlsandbox.imaging import with_channels
from mlsandbox.kinds import Experiment


class ModelUnavailable(RuntimeError):
    """An experiment's model cannot be served; the message says how to fix it."""


def open_session(experiment: Experiment, path: Path | None = None, threads: int = 1) -> tuple[ort.InferenceSession, str]:
    """An ONNX Runtime session and the sha256 of the file it was read from.

    The committed model (path None) must match the sha256 in its card, so that what is served is what
    the card describes; an explicit path (a model being exported) is read as it is."""
    if path is None:
        path, sha256 = experiment.model_path, checked(experiment)
    elif path.is_file():
        sha256 = sha256_of(path)
    else:
        raise ModelUnavailable(f"{experiment.id} has no model at {path}: run `{experiment.remake}`.")
    return open_session_at(path, threads, f"Restore it from the repository or run `{experiment.remake}`."), sha256


def open_companion(experiment: Experiment, name: str, path: Path | None = None, threads: int = 1) -> ort.InferenceSession:
    """A second network beside the model (a VAE's encoder, a face detector): beside the committed model, checked
    against the sha256 its card pins for it; beside a model being exported (no card yet), read as it is."""
    folder = experiment.artifact_dir if path is None else path.parent
    companion, card = folder / name, folder / "card.json"
    if card.is_file():
        wanted = json.loads(card.read_text()).get("model", {}).get("companions", {}).get(name, {}).get("sha256")
        if not companion.is_file() or sha256_of(companion) != wanted:
            raise ModelUnavailable(f"{companion} is missing or not the {name} its card names: restore it from the "
                                   f"repository or run `{experiment.remake}`.")
    return open_session_at(companion, threads, f"Restore it from the repository or run `{experiment.remake}`.")


def checked(experiment: Experiment) -> str:
    """The sha256 of the experiment's committed model, if the file is there and matches its card (and did not
    fail to load); else ModelUnavailable with the fix. Cheap, and loads nothing: the file is hashed again only
    when it, its card or a network beside it changes."""
    known = _checks.get(experiment.id)
    if known is None or known.signature != _signature(experiment, known.companions):
        companions = tuple((experiment.card() or {}).get("model", {}).get("companions", {}))
        signature = _signature(experiment, companions)
        try:
            known = _Check(signature, companions, _verify(experiment), None)
        except ModelUnavailable as e:
            known = _Check(signature, companions, None, str(e))
        _checks[experiment.id] = known
    if known.problem is not None:
        raise ModelUnavailable(known.problem)
    return known.sha256


def _signature(experiment: Experiment, companions: tuple[str, ...]) -> tuple:
    """What changes when the model, its card or a network the card pins beside it (a VAE's encoder, a face
    detector) is written: each file's inode, time and size."""
    files = (experiment.model_path, experiment.artifact_dir / "card.json",
             *(experiment.artifact_dir / name for name in companions))
    return tuple((s.st_ino, s.st_mtime_ns, s.st_size) if (s := _stat(f)) else None for f in files)


def _verify(experiment: Experiment) -> str:
    path, card = experiment.model_path, experiment.card()
    if not path.is_file():
        raise ModelUnavailable(f"{experiment.id} has no model at {path}: restore it from the repository "
                               f"(`git checkout -- {path.parent}`) or run `{experiment.remake}`.")
    sha256, model = sha256_of(path), (card or {}).get("model", {})
    if model.get("sha256") != sha256:
        found = f"sha256 {model['sha256']}" if model.get("sha256") else "no sha256"
        size = path.stat().st_size
        short = model.get("bytes", size) > size
        cut = f" (it is {size:,} bytes, the card's is {model['bytes']:,}: truncated?)" if short else ""
        raise ModelUnavailable(
            f"{experiment.id}: {path} has sha256 {sha256} but its card names {found}, so the file is not the "
            f"model the card describes{cut}. Restore both from the repository (`git checkout -- {path.parent}`) or "
            f"run `{experiment.remake}`.")
    for name, pinned in model.get("companions", {}).items():
        companion = path.parent / name
        if not companion.is_file() or sha256_of(companion) != pinned.get("sha256"):
            raise ModelUnavailable(f"{experiment.id}: {companion} is missing or not the {name} its card names: restore "
                                   f"it from the repository (`git checkout -- {path.parent}`) or run `{experiment.remake}`.")
    return sha256


def _stat(path: Path):
    try:
        return path.stat()
    except OSError:
        return None


class _Check(NamedTuple):
    signature: tuple
    companions: tuple[str, ...]  # the card's, watched with the model
    sha256: str | None
    problem: str | None


_checks: dict[str, _Check] = {}


def open_session_at(path: Path, threads: int = 1, fix: str = "Restore it from the repository.") -> ort.InferenceSession:
    """An ONNX Runtime session on path's model, which is read as it is; ModelUnavailable, with fix, if unreadable."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # ONNX Runtime raises its own types for unreadable files
        raise ModelUnavailable(f"{path} is not a readable ONNX model ({e}). {fix}") from None


class Classifier:
    """A trained classifier: (N, H, W) drawings or (N, C, H, W) pictures in 0..1 -> (N, classes) probabilities."""

    def __init__(self, experiment: Experiment, path: Path | None = None, threads: int = 1):
        self.labels = experiment.labels
        self.session, self.sha256 = open_session(experiment, path, threads)
        self.input_name = self.session.get_inputs()[0].name

    def probabilities(self, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        images = with_channels(images)
        parts = [self.session.run(None, {self.input_name: images[i : i + batch_size]})[0]
                 for i in range(0, len(images), batch_size)]
        return np.concatenate(parts)

    def ranked(self, image: np.ndarray, top: int | None = None) -> list[tuple[str, float]]:
        """Labels with their probabilities, most likely first."""
        p = self.probabilities(image[None])[0]
        order = np.argsort(-p)[:top]
        return [(self.labels[i], float(p[i])) for i in order]

    def answer(self, prepared, top: int | None = None) -> dict:
        """What the predict route answers of a prepared input: "ranked" labels, and what else the kind shows."""
        return {"ranked": self.ranked(prepared, top=top)}


def served(experiment: Experiment):
    """The experiment's runtime (its kind's class) over its committed model: loaded once, and again only when
    the file changes (a changed file that no longer matches its card is refused, not served from memory)."""
    sha256 = checked(experiment)
    loaded = _loaded.get(experiment.id)
    if loaded is not None and loaded.sha256 == sha256:
        return loaded  # without the lock: a route may call this on the event loop
    with _loading:
        loaded = _loaded.get(experiment.id)
        if loaded is None or loaded.sha256 != sha256:
            try:
                loaded = _loaded[experiment.id] = experiment.open_runtime()
            except ModelUnavailable as e:  # the file matches its card but does not load: checked() says so
                _checks[experiment.id] = _checks[experiment.id]._replace(sha256=None, problem=str(e))
                raise
    return loaded


_loaded: dict[str, object] = {}
_loading = threading.Lock()
KEPT_ELSEWHERE = 4  # models loaded from outside the artifacts (lab runs) kept in memory at once


def checked_at(experiment: Experiment, folder: Path) -> Path:
    """The model file in folder (a lab run's export), if it matches the card beside it; else ModelUnavailable."""
    path, card = folder / "model.onnx", folder / "card.json"
    if not path.is_file() or not card.is_file():
        raise ModelUnavailable(f"{folder} holds no exported {experiment.id} model.")
    if json.loads(card.read_text()).get("model", {}).get("sha256") != sha256_of(path):
        raise ModelUnavailable(f"{path} is not the model its card describes (its sha256 differs): train it again.")
    return path


def served_at(experiment: Experiment, folder: Path):
    """The runtime of a model exported to folder (a lab run's), checked against its card and loaded once: a run's
    export never changes. The last few are kept."""
    if (loaded := _elsewhere.get(folder)) is not None:
        return loaded
    with _loading:
        if folder not in _elsewhere:
            _elsewhere[folder] = experiment.open_runtime(checked_at(experiment, folder))
            for old in list(_elsewhere)[:-KEPT_ELSEWHERE]:
                del _elsewhere[old]
        return _elsewhere[folder]


_elsewhere: dict[Path, object] = {}
