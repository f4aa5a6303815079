"""Import the converted face reader: take the two ONNX files tools/convert_tfjs.py wrote, check the expression
names against the library the models were made for, put them inside the expression network, see what the
pair finds on the test photos, and write the card that pins both files."""

from __future__ import annotations

import json
import shutil
import time

import onnx

from mlsandbox import export
from mlsandbox.data import faces
from mlsandbox.kinds import PACKAGE_ARTIFACTS
from mlsandbox.kinds.face_reader import DETECTOR, FaceReader

RECORDS = {"expressions": "conversion.json", "faces": "face_detector.conversion.json"}


def import_face_reader(experiment: FaceReader) -> dict:
    started = time.perf_counter()
    committed = PACKAGE_ARTIFACTS / experiment.id  # where tools/convert_tfjs.py writes; a fast run writes elsewhere
    missing = [name for name in (*RECORDS.values(), DETECTOR, "model.onnx") if not (committed / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{committed} lacks {', '.join(missing)}: run `{experiment.converter}` first.")
    names = faces.expression_names()
    if names != experiment.labels:
        raise ValueError(f"@vladmandic/human names the expressions {names}, the experiment {experiment.labels}.")
    with export.staged(experiment) as staging:
        model = onnx.load(committed / "model.onnx")
        onnx.helper.set_model_props(model, {"labels": json.dumps(names)})
        onnx.save(model, staging / "model.onnx")
        for name in (*RECORDS.values(), DETECTOR):
            shutil.copy(committed / name, staging / name)
        metrics, _ = experiment.evaluate(faces.load(), staging / "model.onnx")
        conversions = {part: json.loads((committed / record).read_text()) for part, record in RECORDS.items()}
        card = export.write_imported_card(
            experiment, staging, faces.DESCRIPTION, metrics, started=started, model=export.companions(staging),
            source={"conversion": conversions, "labels": export.asset_record(faces.EXPRESSION_NAMES),
                    "photos": [export.asset_record(a) for a in faces.ASSETS]})
    return card
