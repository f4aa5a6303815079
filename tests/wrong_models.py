"""Wrong models for a registry experiment, built with the onnx helper API, and a way to serve them in its
place: what tests/test_teeth.py serves to show that the checks in tests/served.py can fail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from mlsandbox import assets
from mlsandbox.experiments import PACKAGE_ARTIFACTS, Experiment


def constant(experiment: Experiment) -> onnx.ModelProto:
    """A model with the committed one's input and output that answers the first label, whatever it is shown."""
    classes = len(experiment.labels)
    answer = np.full((1, classes), 0.1 / (classes - 1), dtype=np.float32)
    answer[0, 0] = 0.9
    nodes = [  # (N, 1, H, W) -> zeros (N, 1) -> + answer -> (N, classes)
        helper.make_node("ReduceSum", ["image", "axes"], ["sum"], keepdims=1),
        helper.make_node("Reshape", ["sum", "column"], ["per_image"]),
        helper.make_node("Mul", ["per_image", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "answer"], ["probabilities"]),
    ]
    constants = [numpy_helper.from_array(np.array([1, 2, 3], dtype=np.int64), "axes"),
                 numpy_helper.from_array(np.array([-1, 1], dtype=np.int64), "column"),
                 numpy_helper.from_array(np.zeros(1, dtype=np.float32), "zero"),
                 numpy_helper.from_array(answer, "answer")]
    graph = helper.make_graph(
        nodes, "constant", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, None, None])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", classes])], constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    onnx.checker.check_model(model)
    return model


def permuted(experiment: Experiment, seed: int = 0) -> onnx.ModelProto:
    """The committed model with its outputs shuffled so that no label keeps its own probability."""
    model = onnx.load(PACKAGE_ARTIFACTS / experiment.id / "model.onnx")
    classes = len(experiment.labels)
    rng = np.random.default_rng(seed)
    order = rng.permutation(classes)
    while (order == np.arange(classes)).any():
        order = rng.permutation(classes)
    graph = model.graph
    output = graph.output[0].name
    for node in graph.node:
        node.output[:] = [f"{name}_unshuffled" if name == output else name for name in node.output]
    graph.initializer.append(numpy_helper.from_array(order.astype(np.int64), "shuffle"))
    graph.node.append(helper.make_node("Gather", [f"{output}_unshuffled", "shuffle"], [output], axis=1))
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
