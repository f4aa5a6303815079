"""Import a converted detector: take the ONNX file tools/convert_tfjs.py wrote, put the class names inside
it, see what it finds on the test photos, and write its card beside it."""

from __future__ import annotations

import json
import shutil
import time

import onnx

from mlsandbox import export
from mlsandbox.data import coco, photos
from mlsandbox.kinds import PACKAGE_ARTIFACTS
from mlsandbox.kinds.object_detector import ObjectDetector


def import_nanodet(experiment: ObjectDetector) -> dict:
    started = time.perf_counter()
    committed = PACKAGE_ARTIFACTS / experiment.id  # where tools/convert_tfjs.py writes; a fast run writes elsewhere
    converted = committed / "conversion.json"
    if not converted.is_file():
        raise FileNotFoundError(f"{converted} is missing: run `{experiment.converter}` first.")
    conversion = json.loads(converted.read_text())
    with export.staged(experiment) as staging:
        model_path = staging / "model.onnx"
        model = onnx.load(committed / "model.onnx")
        onnx.helper.set_model_props(model, {"labels": json.dumps(coco.labels())})
        onnx.save(model, model_path)
        shutil.copy(converted, staging / "conversion.json")
        metrics, _ = experiment.evaluate(photos.load(), model_path)
        card = export.write_imported_card(
            experiment, staging, coco.DESCRIPTION, metrics, started=started,
            source={"conversion": conversion, "labels": export.asset_record(coco.LABELS)})
    return card
