"""Wrong models for a registry experiment, built with the onnx helper API, and a way to serve them in its
place: what tests/test_teeth.py serves to show that the checks in tests/served.py can fail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from mlsandbox import assets
from mlsandbox.experiments import PACKAGE_ARTIFACTS, Experiment
from mlsandbox.kinds.object_detector import Detector, ObjectDetector
from mlsandbox.kinds.text_generator import TextGenerator


def _answers(experiment: Experiment) -> dict[str, int]:
    """The outputs that carry the model's answer, with their number of classes: the first (a classifier's
    probabilities, a generator's next character), or every grid's class scores for a detector. A generator's
    memory stays as it is. (ONNX Runtime knows the shapes the file may leave symbolic.)"""
    outputs = ort.InferenceSession(PACKAGE_ARTIFACTS / experiment.id / "model.onnx").get_outputs()
    if isinstance(experiment, ObjectDetector):
        return {o.name: o.shape[-1] for o in outputs if o.shape[-1] == len(Detector(experiment).labels)}
    return {outputs[0].name: outputs[0].shape[-1]}


def _rewired(experiment: Experiment) -> tuple[onnx.ModelProto, list[tuple[str, str, int]]]:
    """The committed model with its answer outputs renamed: (model, [(output, its new inner name, classes)])."""
    model = onnx.load(PACKAGE_ARTIFACTS / experiment.id / "model.onnx")
    rewired = []
    for output, classes in _answers(experiment).items():
        inner = f"{output}_committed"
        for node in model.graph.node:
            node.output[:] = [inner if name == output else name for name in node.output]
        rewired.append((output, inner, classes))
    return model, rewired


def constant(experiment: Experiment) -> onnx.ModelProto:
    """The committed model's inputs and outputs, but its answer is always the same: the first of its classes
    (a label, a digit, a character) at 90%, whatever it is shown."""
    model, rewired = _rewired(experiment)
    for output, inner, classes in rewired:
        answer = np.full(classes, 0.1 / (classes - 1), dtype=np.float32)
        answer[0] = 0.9
        if isinstance(experiment, TextGenerator):  # it answers log-probabilities
            answer = np.log(answer)
        zero, zeros, constant_answer = f"{output}_zero", f"{output}_zeros", f"{output}_constant"  # new names
        model.graph.initializer.extend([numpy_helper.from_array(np.zeros(1, dtype=np.float32), zero),
                                        numpy_helper.from_array(answer, constant_answer)])
        model.graph.node.extend([helper.make_node("Mul", [inner, zero], [zeros]),
                                 helper.make_node("Add", [zeros, constant_answer], [output])])
    onnx.checker.check_model(model)
    return model


def permuted(experiment: Experiment, seed: int = 0) -> onnx.ModelProto:
    """The committed model with its classes shuffled so that none keeps its own probability."""
    model, rewired = _rewired(experiment)
    for output, inner, classes in rewired:
        rng = np.random.default_rng(seed)
        order = rng.permutation(classes)
        while (order == np.arange(classes)).any():
            order = rng.permutation(classes)
        model.graph.initializer.append(numpy_helper.from_array(order.astype(np.int64), f"{output}_shuffle"))
        model.graph.node.append(helper.make_node("Gather", [inner, f"{output}_shuffle"], [output], axis=-1))
    onnx.checker.check_model(model)
    return model


def serve_in_place(artifacts: Path, experiment: Experiment, model: onnx.ModelProto | Path) -> None:
    """Write model as the experiment's model under artifacts, with the committed card rewritten to match
    its sha256 (as someone who swapped the model would do), so that only the answers can give it away."""
    folder = artifacts / experiment.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    if isinstance(model, Path):
        shutil.copyfile(model, path)
    else:
        onnx.save(model, path)
    card = json.loads((PACKAGE_ARTIFACTS / experiment.id / "card.json").read_text())
    card["model"] |= {"sha256": assets.sha256_of(path), "bytes": path.stat().st_size}
    (folder / "card.json").write_text(json.dumps(card))
