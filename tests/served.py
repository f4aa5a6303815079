"""Checks that the served model is the committed one and that it is right about held-out inputs.

Every experiment in the registry gets them (tests/test_served.py), and tests/test_teeth.py shows they
fail when a wrong model is served: a constant one, one with its outputs permuted, or another
experiment's model. Each kind of model has a probe: held-out inputs, how to ask the server about them,
how to ask the committed file offline, and how to score the answers against the truth.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mlsandbox import assets, experiments
from mlsandbox.data import hands
from mlsandbox.drawings import CANVAS, canvas_png
from mlsandbox.imaging import decode, to_png, to_rgb
from mlsandbox.experiments import ARTIFACTS_ENV, PACKAGE_ARTIFACTS, Experiment
from mlsandbox.kinds.face_reader import FaceReader
from mlsandbox.kinds.hand_classifier import HandClassifier
from mlsandbox.kinds.hand_landmarks import HandLandmarks
from mlsandbox.kinds.image_classifier import ImageClassifier
from mlsandbox.kinds.image_generator import CONFIDENT, Generator, ImageGenerator, Judge, spread
from mlsandbox.kinds.object_detector import Detector, ObjectDetector
from mlsandbox.kinds.photo_classifier import PHOTO_TOP, PhotoClassifier
from mlsandbox.kinds.sequence_translator import SequenceTranslator
from mlsandbox.kinds.text_generator import TextGenerator
from mlsandbox.runtime import Classifier

# Served and offline answers are the same float32 kernels on the same CPU (0 apart here, every experiment), but
# for the batch size and threads, whose summation order can move a probability by ~2e-6 (MobileNetV2 against PyTorch).
SAME_PROBABILITIES = 1e-5
PER_CLASS = {"digits": 10, "clothes": 10, "sketches": 1}  # held-out images of each class sent through the API
EVERY_NTH_RENDER = 10  # of the held-out hand renders, sent as the PNG pictures they were rendered as
SIGMAS = 4  # how far below the committed model's test accuracy a sample of n may fall by chance
TRANSLATIONS = 400  # held-out texts sent to a translator
GENERATED, SCORED = 200, 20_000  # characters generated through the API; held-out characters scored
NATS_MARGIN = 0.25  # a generator may score this much worse on a held-out excerpt than on the whole test text
# Image generators: pictures drawn from fixed seeds (each digit in turn, for a conditional one), 50 at a time (a
# whole number of turns of the 10 digits), read by the judge that evaluate reads them with.
DRAWN, PER_REQUEST = 500, 50
# Pictures travel as 8-bit PNG: a pixel whose float32 value moved across a level's edge (by the batch size or the
# threads, as above) moves by one level. Served and offline pictures are drawn in the same batches: 0 apart here.
PICTURE_LEVEL = 1 / 255
# Pretrained models have no test split of ours: real photos, and what a person sees in them. Each must be
# answered right (an ImageNet class a person would accept; an object a person would box, where they box it).
PHOTO_TRUTH = {
    "chelsea.png": {"tabby, tabby cat", "tiger cat", "Egyptian cat"},
    "coffee.png": {"espresso", "cup", "coffee mug"},
    "motorcycle_left.png": {"moped", "motor scooter, scooter"},
    "rocket.jpg": {"space shuttle", "missile", "projectile, missile"},
}
OBJECTS = {"astronaut.png": "person", "chelsea.png": "cat", "coffee.png": "cup", "motorcycle_left.png": "motorcycle"}
REFERENCE_DETECTIONS = Path(__file__).parent / "data" / "nanodet_reference.json"
SAME_BOX = 0.5  # intersection over union with the reference's box
# The reference decoded TensorFlow.js's raw outputs, from which ONNX Runtime's are 6.7e-7 (scores) and 1.4e-5 (box
# bins) away, and rounded them to 1e-5 and 0.01 px: a score may move 5.7e-6 (measured 3.3e-6); a side, of
# stride x sum(p(bin) x bin), 32 px x 5 bins x 1.4e-5 = 2.3e-3 px at 416, 4.1e-3 on a 741-pixel photo, 9.1e-3 with
# the rounding (measured 4.7e-3). A wrong label fails it whatever the numbers.
REFERENCE_SCORE, REFERENCE_BOX_PIXELS = 1e-5, 0.02
# A face reader's truth is its card's (what the committed pair found when it was imported): in each photo that shows
# faces, the faces the card lists, where it boxes them (SAME_BOX), with the expression it reads; in each photo that
# shows none (and its cuts), no face at the default threshold. The card's scores are 0.004 or more from the 0.85
# line and its expressions' two likeliest 0.008 or more apart: float32 moves neither (by 1e-6).


@dataclass(frozen=True)
class Served:
    """A running server, and the environment it was started with (so the CLI can read the same models)."""

    client: object  # an httpx.Client with the server's base URL
    env: dict


@dataclass(frozen=True)
class Sample:
    """Held-out inputs, and the truth about them."""

    experiment: Experiment
    inputs: tuple
    truth: np.ndarray | tuple


def committed(experiment: Experiment, name: str = "model.onnx") -> Path:
    """A file of the committed artifacts in the package, whatever MLSANDBOX_ARTIFACTS points the server at."""
    return PACKAGE_ARTIFACTS / experiment.id / name


def committed_card(experiment: Experiment) -> dict:
    return json.loads(committed(experiment, "card.json").read_text())


@functools.cache
def held_out(experiment_id: str) -> Sample:
    experiment = experiments.get(experiment_id)
    if isinstance(experiment, ImageGenerator):  # the requests; the digits asked for (for a GAN: every class, to be drawn)
        bodies = tuple({"seed": seed, "count": PER_REQUEST} for seed in range(DRAWN // PER_REQUEST))
        classes = len(experiment.labels)
        asked = np.tile(np.arange(PER_REQUEST) % classes, len(bodies))
        return Sample(experiment, bodies, asked if experiment.conditional else np.arange(classes))
    if isinstance(experiment, HandClassifier):  # rendered again: a landmark reader's split is the points read from them
        renders = [hands.render(i, "test") for i in range(0, hands.COUNTS["test"], EVERY_NTH_RENDER)]
        return Sample(experiment, tuple(png(Image.fromarray(picture)) for picture, _, _ in renders),
                      np.array([label for _, label, _ in renders]))
    data = experiment.load_data()
    if isinstance(experiment, FaceReader):  # the card's faces in each face photo; none in each photo without
        found = committed_card(experiment)["metrics"]["photos_with_faces"]
        return Sample(experiment, tuple(path.read_bytes() for path in data["with_faces"].values())
                      + tuple(png(frame, level=1) for frame in data["without_faces"].values()),
                      tuple(found[name] for name in data["with_faces"]) + tuple([] for _ in data["without_faces"]))
    if isinstance(experiment, PhotoClassifier):
        return Sample(experiment, tuple(data[name].read_bytes() for name in PHOTO_TRUTH), tuple(PHOTO_TRUTH.values()))
    if isinstance(experiment, ObjectDetector):  # what a person boxes, where the reference decoder boxes it
        reference = json.loads(REFERENCE_DETECTIONS.read_text())["photos"]
        truth = [next(d for d in reference[name]["detections"] if d["label"] == label) for name, label in OBJECTS.items()]
        return Sample(experiment, tuple(data[name].read_bytes() for name in OBJECTS), tuple(truth))
    if isinstance(experiment, ImageClassifier):  # the first test images of each class, drawn on the canvas
        chosen = np.concatenate([np.flatnonzero(data.y_test == k)[: PER_CLASS[experiment.family]]
                                 for k in range(len(experiment.labels))])
        scale = 0.9 * CANVAS / data.x_test.shape[1]
        return Sample(experiment, tuple(canvas_png(data.x_test[i], scale=scale) for i in chosen), data.y_test[chosen])
    if isinstance(experiment, SequenceTranslator):  # the first test texts of each answer length
        texts, answers = data.test
        lengths = sorted({len(a) for a in answers})
        chosen = [i for n in lengths for i in [j for j, a in enumerate(answers) if len(a) == n][: TRANSLATIONS // 4]]
        return Sample(experiment, tuple(texts[i] for i in chosen), tuple(answers[i] for i in chosen))
    if isinstance(experiment, TextGenerator):  # a prompt, and an excerpt, from the held-out documents
        return Sample(experiment, (data.test[:300],), (data.test[:SCORED],))
    raise NotImplementedError(f"no held-out probe for {experiment.what()}")


def png(image: Image.Image, level: int = 6) -> bytes:
    """Lossless; level 1 compresses a photo a tenth less than the default in a quarter of the time."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=level)
    return buffer.getvalue()


def picture_of(png_bytes: bytes) -> np.ndarray:
    """A picture as the API sends it (dark on light PNG) -> the generator's own (H, W) light on dark in 0..1."""
    return 1 - np.asarray(Image.open(io.BytesIO(png_bytes)).convert("L"), dtype=np.float32) / 255


def served_outputs(served: Served, sample: Sample):
    """What the server answers for the sample: probabilities in a fixed order, per kind; a generator's pictures."""
    e, client = sample.experiment, served.client
    if isinstance(e, ImageGenerator):
        drawn = []
        for body in sample.inputs:
            response = client.post(f"/api/experiments/{e.id}/pictures", json=body)
            assert response.status_code == 200, response.text
            drawn += [picture_of(base64.b64decode(url.partition(",")[2])) for url in response.json()["pictures"]]
        return np.array(drawn)
    if isinstance(e, ObjectDetector):
        answers = []
        for body in sample.inputs:
            response = client.post(f"/api/experiments/{e.id}/detect", content=body, headers={"Content-Type": "image/png"})
            assert response.status_code == 200, response.text
            answers.append(response.json()["detections"])
        return answers
    if isinstance(e, FaceReader):  # at the default threshold
        answers = []
        for body in sample.inputs:
            response = client.post(f"/api/experiments/{e.id}/faces", content=body,
                                   headers={"Content-Type": "image/png"})
            assert response.status_code == 200, response.text
            answers.append(response.json()["faces"])
        return answers
    if isinstance(e, ImageClassifier):
        labels = e.open_runtime(committed(e)).labels if isinstance(e, PhotoClassifier) else e.labels
        order = {label: i for i, label in enumerate(labels)}
        rows = []
        for body in sample.inputs:
            response = client.post(f"/api/experiments/{e.id}/predict", content=body,
                                   headers={"Content-Type": "image/png"})
            assert response.status_code == 200, response.text
            row = np.zeros(len(labels))
            for guess in response.json()["ranked"]:
                row[order[guess["label"]]] = guess["probability"]
            rows.append(row)
        return np.array(rows)
    if isinstance(e, SequenceTranslator):
        answers = []
        for text in sample.inputs:
            response = client.post(f"/api/experiments/{e.id}/translate", json={"text": text})
            assert response.status_code == 200, response.text
            answers.append(response.json())
        return answers
    if isinstance(e, TextGenerator):
        response = client.post(f"/api/experiments/{e.id}/generate", json={
            "prompt": sample.inputs[0], "length": GENERATED, "seed": 0}, timeout=60)
        assert response.status_code == 200, response.text
        steps = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
        return [s for s in steps if "character" in s]
    raise NotImplementedError


def offline_outputs(sample: Sample):
    """The same, from the committed ONNX file run here (once for each held-out sample)."""
    return _offline_outputs(sample.experiment.id)


@functools.cache
def _offline_outputs(experiment_id: str):
    sample = held_out(experiment_id)
    e = sample.experiment
    if isinstance(e, ImageGenerator):  # in the server's batches, through the PNG it sends
        model = Generator(e, committed(e))
        drawn = [model.draw(model.latents(b["seed"], b["count"]), model.weights(None, b["count"])) for b in sample.inputs]
        return np.array([picture_of(to_png(p)) for p in np.concatenate(drawn)])
    if isinstance(e, ObjectDetector):  # with the server's threads
        detector = e.open_runtime(committed(e))
        return [[d.as_json() for d in detector.detect(to_rgb(decode(body)))] for body in sample.inputs]
    if isinstance(e, FaceReader):  # both networks, with the server's threads
        finder = e.open_runtime(committed(e))
        return [[f.as_json(e.labels) for f in finder.find(to_rgb(decode(body)))] for body in sample.inputs]
    if isinstance(e, HandLandmarks):  # no probabilities where it sees no hand
        reader = e.open_runtime(committed(e))
        return np.array([[dict(reader.answer(e.prepare(body))["ranked"]).get(label, 0.0) for label in e.labels]
                         for body in sample.inputs])
    if isinstance(e, PhotoClassifier):  # the server gives the top five labels (ImageNet has two cranes)
        p = e.open_runtime(committed(e)).probabilities(np.stack([e.prepare(body).input for body in sample.inputs]))
        return np.where(p >= -np.sort(-p, axis=1)[:, PHOTO_TOP - 1 : PHOTO_TOP], p, 0.0)
    if isinstance(e, ImageClassifier):
        inputs = np.stack([e.prepare(body) for body in sample.inputs])
        return Classifier(e, committed(e)).probabilities(inputs)
    if isinstance(e, SequenceTranslator):
        return [t.as_dict() for t in e.open_runtime(committed(e)).translate(list(sample.inputs))]
    if isinstance(e, TextGenerator):
        pieces = e.open_runtime(committed(e)).generate(sample.inputs[0], GENERATED, 0.8, None, 0)
        return [{"character": c, "probability": p, "top": [list(t) for t in top]} for c, p, top in pieces]
    raise NotImplementedError


def difference(served, offline) -> float:
    """The largest difference between two answers: probabilities, or infinity where they differ otherwise."""
    if isinstance(served, np.ndarray):
        return float(np.abs(served - offline).max())
    worst = 0.0
    if len(served) != len(offline):
        return math.inf
    if served and isinstance(served[0], list):  # detections (or faces) of each photo
        for a, b in zip(served, offline, strict=True):
            if len(a) != len(b):
                return math.inf
            for x, y in zip(a, b, strict=True):
                if x.get("label", x.get("expression")) != y.get("label", y.get("expression")):
                    return math.inf
                worst = max(worst, abs(x["score"] - y["score"]), *(abs(p - q) / 1000 for p, q in zip(x["box"], y["box"])))
                if "probabilities" in x:  # a face's expressions, and its points
                    if x["probabilities"].keys() != y["probabilities"].keys():
                        return math.inf
                    worst = max(worst, *(abs(p - y["probabilities"][label]) for label, p in x["probabilities"].items()),
                                *(abs(p - q) / 1000 for s, t in zip(x["points"], y["points"], strict=True)
                                  for p, q in zip(s, t, strict=True)))
        return worst
    for a, b in zip(served, offline, strict=True):
        if len(a.get("characters", [])) != len(b.get("characters", [])):
            return math.inf
        for x, y in ((a, b), *zip(a.get("characters", []), b.get("characters", []), strict=True)):
            if x.get("character") != y.get("character") or x.get("output") != y.get("output"):
                return math.inf
            if "probability" in x:
                worst = max(worst, abs(x["probability"] - y["probability"]))
            for (c, p), (d, q) in zip(x.get("top", []), y.get("top", []), strict=True):
                worst = max(worst, abs(p - q) if c == d else math.inf)
    return worst


def check_is_committed_model(served: Served, sample: Sample, outputs) -> None:
    """(a) The server reports the committed file's sha256 and gives its answers."""
    check_reports_committed_file(served, sample)
    check_gives_committed_answers(sample, outputs)


def check_reports_committed_file(served: Served, sample: Sample) -> None:
    """The model file's sha256, and its companions' (a VAE's encoder, a face detector) as the served card pins them."""
    e = sample.experiment
    sha256 = assets.sha256_of(committed(e))
    info = served.client.get(f"/api/experiments/{e.id}").json()
    assert info["sha256"] == sha256, f"{e.id}: the server does not serve the committed model file"
    pinned = (info["card"] or {}).get("model", {}).get("companions", {})
    for name in committed_card(e)["model"].get("companions", {}):
        assert pinned.get(name, {}).get("sha256") == assets.sha256_of(committed(e, name)), \
            f"{e.id}: the server does not serve the committed model files: its {name} is another"


def check_gives_committed_answers(sample: Sample, outputs) -> None:
    gap = difference(outputs, offline_outputs(sample))
    assert gap <= (PICTURE_LEVEL if isinstance(sample.experiment, ImageGenerator) else SAME_PROBABILITIES), \
        f"{sample.experiment.id}: served answers differ from the committed model's by {gap:.2e}"


def accuracy_floor(experiment: Experiment, n: int) -> float:
    """The committed test accuracy less SIGMAS standard errors of a sample of n: the real model stays
    above it; chance, a constant answer or shuffled labels stay far below. A pretrained model must get
    every probe photo right."""
    if isinstance(experiment, (PhotoClassifier, ObjectDetector, FaceReader)):
        return 1.0
    p = committed_card(experiment)["metrics"]["accuracy"]
    return p - SIGMAS * math.sqrt(p * (1 - p) / n)


def check_accuracy(served: Served, sample: Sample, outputs) -> None:
    """(b) The served answers are right about the held-out inputs' truth."""
    e = sample.experiment
    if isinstance(e, ImageGenerator):
        check_drawing(sample, outputs)
        return
    if isinstance(e, TextGenerator):  # scored by the command line over the same models as the server
        nats = cli_score(served, e, sample.truth[0])
        ceiling = committed_card(e)["metrics"]["nats_per_char"] + NATS_MARGIN
        assert nats <= ceiling, f"{e.id}: {nats:.3f} nats per held-out character, below the floor: over {ceiling:.3f}"
        return
    if isinstance(e, FaceReader):
        right = np.array([same_faces(found, truth) for found, truth in zip(outputs, sample.truth)])
    elif isinstance(e, ObjectDetector):
        right = np.array([any(d["label"] == truth["label"] and iou(d["box"], truth["box"]) >= SAME_BOX for d in found)
                          for found, truth in zip(outputs, sample.truth)])
    elif isinstance(e, PhotoClassifier):
        labels = e.open_runtime(committed(e)).labels
        right = np.array([labels[row.argmax()] in truth for row, truth in zip(outputs, sample.truth)])
    elif isinstance(e, ImageClassifier):
        right = (outputs.argmax(axis=1) == sample.truth) & (outputs.sum(axis=1) > 0)  # no answer is never right
    else:
        right = np.array([o["output"] == t for o, t in zip(outputs, sample.truth)])
    floor = accuracy_floor(e, len(right))
    assert right.mean() >= floor, (f"{e.id}: {right.mean():.3f} of {len(right)} held-out inputs answered right, "
                                   f"below the floor {floor:.3f}")


@functools.cache
def judge_of(experiment_id: str) -> Judge:
    return Judge(experiments.get(experiment_id))


def share_floor(p: float, n: int) -> float:
    """A share of n pictures (read with confidence, read as the digit asked) that one whose share over the card's
    samples is p stays above: SIGMAS standard errors below p."""
    return p - SIGMAS * math.sqrt(p * (1 - p) / n)


def spread_floor(shares: list[float], n: int) -> float:
    """The class spread that n pictures of a generator whose classes come in these shares stay above: the entropy
    of the shares, less the plug-in estimate's bias ((k - 1) / 2n nats for k classes seen) and SIGMAS standard
    deviations (the delta method's, and the chi-square one that rules where the shares are nearly even), over
    log(classes) as spread() reports it."""
    p = np.array(shares)[np.array(shares) > 0]
    entropy = float(-(p * np.log(p)).sum())
    variance = (float((p * np.log(p) ** 2).sum()) - entropy**2) / n + (len(p) - 1) / (2 * n**2)
    return (entropy - (len(p) - 1) / (2 * n) - SIGMAS * math.sqrt(variance)) / math.log(len(shares))


def check_drawing(sample: Sample, pictures: np.ndarray) -> None:
    """(b) for a generator: its judge reads the served pictures as the card says the committed model's are read, in
    samples of 10,000: with confidence as often, as the digit asked as often (a conditional model), and spread over
    the classes as evenly, within what a sample of DRAWN pictures may miss by chance."""
    e, n = sample.experiment, len(pictures)
    card = committed_card(e)["metrics"]
    probabilities = judge_of(e.judge.id)(pictures)
    readings = probabilities.argmax(1)
    figures = {"confident": float((probabilities.max(1) >= CONFIDENT).mean())}
    if e.conditional:
        figures["readability"] = float((readings == sample.truth).mean())
    for name, share in figures.items():
        floor = share_floor(card[name], n)
        assert share >= floor, (f"{e.id}: {name} {share:.4f} of {n} pictures drawn, below the floor {floor:.4f} "
                                f"(the card's {card[name]:.4f})")
    found, floor = spread(readings, len(e.labels)), spread_floor(card["class_shares"], n)
    assert found >= floor, (f"{e.id}: class spread {found:.3f} of {n} pictures drawn, below the floor {floor:.3f} "
                            f"(the card's {card['class_spread']:.3f}): it draws too few kinds of thing")


def check_decodes_like_the_reference(detector: Detector, photos: dict[str, Path]) -> None:
    """The detector's raw outputs decoded in NumPy, with the reference's settings, give the reference's detections
    (tests/data/nanodet_reference.json: TensorFlow.js's outputs of the same photos, decoded under node)."""
    reference = json.loads(REFERENCE_DETECTIONS.read_text())
    settings = reference["decode"]
    for name, photo in reference["photos"].items():
        expected = photo["detections"]
        image = to_rgb(decode(photos[name].read_bytes()))
        outputs = detector.raw(detector.experiment.prepare(image))
        got = detector.decode(outputs, image.size, settings["score_threshold"], settings["iou_threshold"])
        assert [d.label for d in got] == [d["label"] for d in expected], f"{name}: not the reference's detections"
        for d, e in zip(got, expected):
            assert abs(d.score - e["score"]) <= REFERENCE_SCORE, f"{name}: {d} is not the reference's {e}"
            assert np.abs(np.subtract(d.box, e["box"])).max() <= REFERENCE_BOX_PIXELS, f"{name}: {d} is not {e}"


def same_faces(found: list[dict], truth: list[dict]) -> bool:
    """The faces found are the true ones: as many, each where a true one is boxed, reading its expression."""
    left = list(found)
    for face in truth:
        match = next((f for f in left if iou(f["box"], face["box"]) >= SAME_BOX
                      and f["expression"] == face["expression"]), None)
        if match is None:
            return False
        left.remove(match)
    return not left


def iou(a: list[float], b: list[float]) -> float:
    overlap = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / union if union > 0 else 0.0


def cli_score(served: Served, experiment: Experiment, text: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write(text)
    try:
        result = subprocess.run([sys.executable, "-m", "mlsandbox", "evaluate", experiment.id, "--text", f.name,
                                 "--json"], capture_output=True, text=True, env={**os.environ, **served.env},
                                timeout=300)
    finally:
        os.unlink(f.name)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["nats_per_char"]


def env_of(artifacts: Path | None) -> dict:
    return {ARTIFACTS_ENV: str(artifacts)} if artifacts else {}
