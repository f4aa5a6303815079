"""Import a pretrained photo classifier: load its published weights into our network, export it to ONNX
with its class names inside, check ONNX Runtime against PyTorch on every test photo, write its card."""

from __future__ import annotations

import json
import time

import numpy as np
import onnx
import torch

from mlsandbox import assets, export
from mlsandbox.data import imagenet, photos
from mlsandbox.kinds.photo_classifier import PhotoClassifier, PhotoModel

PROBABILITY_TOLERANCE = 1e-4


def import_mobilenet_v2(experiment: PhotoClassifier) -> dict:
    started = time.perf_counter()
    net = experiment.build_net()
    net.load_state_dict(torch.load(assets.require(imagenet.WEIGHTS), weights_only=True))
    net.eval()
    labels = imagenet.labels()
    test_photos = photos.load()
    with export.staged(experiment) as staging:
        model_path = staging / "model.onnx"
        export.write_onnx(net, (torch.zeros(1, 3, 224, 224),), model_path, ["image"], ["probabilities", "activation"],
                          dynamic_shapes=({0: torch.export.Dim("batch", max=64)},))
        model = onnx.load(model_path)
        onnx.helper.set_model_props(model, {"labels": json.dumps(labels)})
        onnx.save(model, model_path)

        served = PhotoModel(experiment, model_path)
        parity = {}
        for name, path in test_photos.items():
            photo = experiment.prepare(path.read_bytes())
            with torch.no_grad():
                expected = net(torch.from_numpy(photo.input[None]))[0][0].numpy()
            got = served.probabilities(photo.input[None])[0]
            parity[name] = {"top1_equal": int(got.argmax()) == int(expected.argmax()),
                            "max_probability_difference": float(np.abs(got - expected).max())}
        worst = max(p["max_probability_difference"] for p in parity.values())
        if worst > PROBABILITY_TOLERANCE or not all(p["top1_equal"] for p in parity.values()):
            raise RuntimeError(f"ONNX Runtime disagrees with PyTorch on the test photos: {parity}")

        metrics, _ = experiment.evaluate(test_photos, model_path)
        card = export.write_imported_card(
            experiment, staging, imagenet.DESCRIPTION, metrics,
            source={"files": [export.asset_record(a) for a in imagenet.SOURCES]}, started=started,
            model={"onnx_vs_torch_max_difference": worst, "onnx_vs_torch_on_test_photos": parity},
            parameters=sum(p.numel() for p in net.parameters()))
    return card
