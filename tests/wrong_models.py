"""Wrong models for a registry experiment, built with the onnx helper API, and a way to serve them in its
place: what tests/test_teeth.py serves to show that the checks in tests/served.py can fail. A face reader's
answer is its expression network's (model.onnx); its face detector (a companion file) is swapped on its own."""

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
from mlsandbox.kinds.face_reader import DETECTOR, FaceReader
from mlsandbox.kinds.image_generator import Generator, ImageGenerator
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
    (a label, a digit, a character) at 90%, whatever it is shown; a generator's, one picture (same_picture)."""
    if isinstance(experiment, ImageGenerator):
        return same_picture(experiment)
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
    """The committed model with its classes shuffled so that none keeps its own probability; a generator's, with
    the pixels of each picture shuffled (scrambled_pixels)."""
    if isinstance(experiment, ImageGenerator):
        return scrambled_pixels(experiment, seed)
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


# Wrong generators. Each keeps the committed graph (so its inputs, and a bad request's refusal, stay the same) and
# replaces what it draws: a VAE's pixel logits (which evaluate's ELBO reads) follow its pictures.


def _drawing(experiment: ImageGenerator) -> tuple[onnx.ModelProto, list[str]]:
    """The committed generator with its picture outputs ("image", and a VAE's "logits") renamed to NAME_committed."""
    model = onnx.load(PACKAGE_ARTIFACTS / experiment.id / "model.onnx")
    names = [o.name for o in model.graph.output]
    for node in model.graph.node:  # a VAE's picture is read from its logits: renamed where they are read too
        node.output[:] = [f"{name}_committed" if name in names else name for name in node.output]
        node.input[:] = [f"{name}_committed" if name in names else name for name in node.input]
    return model, names


def _logits_of(model: onnx.ModelProto, names: list[str], image: str) -> None:
    """A VAE's "logits" output, as the logits of the pictures in image (clipped away from 0 and 1)."""
    if "logits" not in names:
        return
    model.graph.initializer.extend([numpy_helper.from_array(np.float32(1e-6), "wrong_low"),
                                    numpy_helper.from_array(np.float32(1 - 1e-6), "wrong_high"),
                                    numpy_helper.from_array(np.float32(1), "wrong_one")])
    model.graph.node.extend([helper.make_node("Clip", [image, "wrong_low", "wrong_high"], ["wrong_p"]),
                             helper.make_node("Sub", ["wrong_one", "wrong_p"], ["wrong_q"]),
                             helper.make_node("Div", ["wrong_p", "wrong_q"], ["wrong_odds"]),
                             helper.make_node("Log", ["wrong_odds"], ["logits"])])


def same_picture(experiment: ImageGenerator) -> onnx.ModelProto:
    """A generator that always draws the same picture: the committed model's at latent zero (of the first digit,
    for a conditional one), whatever point it is given. A collapsed GAN does this."""
    committed = Generator(experiment, PACKAGE_ARTIFACTS / experiment.id / "model.onnx")
    picture = committed.draw(np.zeros((1, experiment.latent), np.float32),
                             committed.weights(0, 1) if experiment.conditional else None)[:, None]
    model, names = _drawing(experiment)
    model.graph.initializer.extend([numpy_helper.from_array(np.zeros(1, dtype=np.float32), "wrong_zero"),
                                    numpy_helper.from_array(picture.astype(np.float32), "wrong_picture")])
    model.graph.node.extend([helper.make_node("Mul", ["image_committed", "wrong_zero"], ["wrong_zeros"]),
                             helper.make_node("Add", ["wrong_zeros", "wrong_picture"], ["image"])])
    _logits_of(model, names, "image")
    onnx.checker.check_model(model)
    return model


def noise(experiment: ImageGenerator) -> onnx.ModelProto:
    """A generator that draws noise: each pixel uniform in 0..1, new at every call, whatever point it is given."""
    model, names = _drawing(experiment)
    model.graph.node.append(helper.make_node("RandomUniformLike", ["image_committed"], ["image"], low=0.0, high=1.0))
    _logits_of(model, names, "image")
    onnx.checker.check_model(model)
    return model


def scrambled_pixels(experiment: ImageGenerator, seed: int = 0) -> onnx.ModelProto:
    """The committed generator with the pixels of each picture shuffled (one fixed order, none in its place): the
    ink of every picture it draws, scattered."""
    model, names = _drawing(experiment)
    size = experiment.size * experiment.size
    rng = np.random.default_rng(seed)
    order = rng.permutation(size)
    while (order == np.arange(size)).any():
        order = rng.permutation(size)
    model.graph.initializer.extend([
        numpy_helper.from_array(order.astype(np.int64), "wrong_order"),
        numpy_helper.from_array(np.array([-1, size], dtype=np.int64), "wrong_flat"),
        numpy_helper.from_array(np.array([-1, 1, experiment.size, experiment.size], dtype=np.int64), "wrong_shape")])
    for name in names:
        model.graph.node.extend([
            helper.make_node("Reshape", [f"{name}_committed", "wrong_flat"], [f"{name}_flat"]),
            helper.make_node("Gather", [f"{name}_flat", "wrong_order"], [f"{name}_scrambled"], axis=1),
            helper.make_node("Reshape", [f"{name}_scrambled", "wrong_shape"], [name])])
    onnx.checker.check_model(model)
    return model


# Wrong face detectors: the committed BlazeFace, but every anchor's score the same.


def _scoring(experiment: FaceReader, logit: float, least_side: float | None = None) -> dict[str, onnx.ModelProto]:
    """The committed face detector with every anchor's score logit set to logit, and (least_side) every box at
    least that many input pixels wide and high: {its file name: the model}."""
    model = onnx.load(PACKAGE_ARTIFACTS / experiment.id / DETECTOR)
    outputs = [o.name for o in model.graph.output]
    changed = [name for name in outputs if name.startswith("scores") or least_side and name.startswith("boxes")]
    for node in model.graph.node:
        node.output[:] = [f"{name}_committed" if name in changed else name for name in node.output]
    floor = np.full(16, -np.inf, dtype=np.float32)  # per anchor: the centre's offset, width, height, six points
    floor[2:4] = least_side or 0
    model.graph.initializer.extend([numpy_helper.from_array(np.zeros(1, dtype=np.float32), "wrong_zero"),
                                    numpy_helper.from_array(np.full(1, logit, dtype=np.float32), "wrong_logit"),
                                    numpy_helper.from_array(floor, "wrong_floor")])
    for name in changed:
        if name.startswith("scores"):
            model.graph.node.extend([helper.make_node("Mul", [f"{name}_committed", "wrong_zero"], [f"{name}_zeros"]),
                                     helper.make_node("Add", [f"{name}_zeros", "wrong_logit"], [name])])
        else:
            model.graph.node.append(helper.make_node("Max", [f"{name}_committed", "wrong_floor"], [name]))
    onnx.checker.check_model(model)
    return {DETECTOR: model}


def faces_everywhere(experiment: FaceReader) -> dict[str, onnx.ModelProto]:
    """A face detector sure of a face at every anchor (a score of 0.99995): faces in every photo and every cut. Each
    box is 16 px (of 256) a side or more, as a face's is: at some anchors BlazeFace regresses a box of negative
    size, which the face reader cannot cut out (FaceFinder.find raises ValueError on one)."""
    return _scoring(experiment, 10.0, least_side=16.0)


def faces_nowhere(experiment: FaceReader) -> dict[str, onnx.ModelProto]:
    """A face detector that finds no face anywhere (every score 0.00005)."""
    return _scoring(experiment, -10.0)


def serve_in_place(artifacts: Path, experiment: Experiment,
                   model: onnx.ModelProto | Path | dict[str, onnx.ModelProto | Path]) -> None:
    """Write model as the experiment's model under artifacts (or, given {file name: model}, each as that file: the
    model or a companion), the other files the committed ones, with the committed card rewritten to match their
    sha256 (as someone who swapped them would do), so that only the answers can give it away."""
    folder = artifacts / experiment.id
    folder.mkdir(parents=True, exist_ok=True)
    files = dict(model) if isinstance(model, dict) else {"model.onnx": model}
    card = json.loads((PACKAGE_ARTIFACTS / experiment.id / "card.json").read_text())
    pinned = {"model.onnx": card["model"], **card["model"].get("companions", {})}  # a VAE's encoder, a face detector
    assert files.keys() <= pinned.keys(), f"{experiment.id} has no {set(files) - set(pinned)} to swap"
    for name, entry in pinned.items():
        path, made = folder / name, files.get(name, PACKAGE_ARTIFACTS / experiment.id / name)
        if isinstance(made, Path):
            shutil.copyfile(made, path)
        else:
            onnx.save(made, path)
        entry |= {"sha256": assets.sha256_of(path), "bytes": path.stat().st_size}
    (folder / "card.json").write_text(json.dumps(card))
