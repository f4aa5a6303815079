"""Image generators: a point of a latent space in, a picture out (a GAN's generator, a VAE's decoder); a
conditional VAE also draws the class it is asked for, and encodes a drawing to its latent point.

There are no labels to score a drawn picture against, so evaluate asks what a person would, with a classifier
trained here as the judge (digits_cnn for digits): does a picture look like a thing of its kind (the judge reads
it with confidence), does the generator draw every kind (the spread of the judge's readings), and how far are its
pictures from real ones (the Fréchet distance in the judge's feature space, beside that between the training and
the test pictures, its floor). This is not the Inception FID and cannot be compared with published figures."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import onnxruntime as ort

from mlsandbox import imaging
from mlsandbox.assets import sha256_of
from mlsandbox.kinds import PACKAGE_ARTIFACTS, Experiment, Recipe
from mlsandbox.kinds.image_classifier import ImageClassifier
from mlsandbox.runtime import Classifier, ModelUnavailable, open_companion, open_session

MAX_COUNT = 64  # pictures in one answer
LATENT_LIMIT = 5.0  # a latent coordinate beyond this many standard deviations is refused: nothing was learned there
MAX_SEED = 2**32 - 1
SAMPLES = 10_000  # pictures evaluate judges
EVALUATION_SEED = 0
CONFIDENT = 0.9  # a judge reading at least this sure counts as a recognisable picture
ENCODER = "encoder.onnx"


class BadLatent(ValueError):
    """A request the generator cannot draw; the message says what to change."""


@dataclass(frozen=True, kw_only=True)
class GeneratorRecipe(Recipe):
    kl_weight: float = 1.0  # a VAE: the weight of the KL term in its loss (1 is the ELBO)
    real_label: float = 1.0  # a GAN: the discriminator's target for real pictures (0.9: one-sided label smoothing)


@dataclass(frozen=True, kw_only=True)
class ImageGenerator(Experiment):
    kind: ClassVar[str] = "image generator"
    web: ClassVar[str] = "mlsandbox.web.image_generator"
    selected_by: ClassVar[str] = "val_loss"  # a GAN's: the Fréchet distance on validation; a VAE's: its -ELBO
    higher_is_better: ClassVar[bool] = False

    labels: tuple[str, ...]  # the kinds of thing in its data, in the judge's order
    judge: ImageClassifier  # the classifier trained here that reads its pictures
    latent: int  # the size of a latent point
    conditional: bool = False  # draws the class it is asked for, and encodes a drawing (a conditional VAE)
    size: int = 28

    def details(self) -> dict:
        return {"labels": list(self.labels), "latent": self.latent, "conditional": self.conditional,
                "encodes": self.conditional, "judge": self.judge.id, "size": self.size,
                "limits": {"count": MAX_COUNT, "latent": LATENT_LIMIT, "seed": MAX_SEED}}

    def headline(self, metrics: dict) -> str:
        if self.conditional:
            return f"{metrics['readability']:.1%} of its digits read as the digit asked for"
        return f"{metrics['confident']:.1%} read with confidence, class spread {metrics['class_spread']:.3f}"

    def open_runtime(self, path: Path | None = None) -> "Generator":
        return Generator(self, path)

    def evaluate(self, data, model_path: Path | None = None):
        model = Generator(self, model_path)
        metrics = judged(model, Judge(self.judge), data)
        if self.conditional:
            metrics |= elbo(model, data.x_test, data.y_test)

        def draw_samples(path: Path) -> None:
            path.write_bytes(imaging.to_png(tiled(model.draw(*model.chosen(EVALUATION_SEED, 100)), 10)))

        return metrics, {"samples.png": draw_samples}

    def training_task(self, data, recipe: GeneratorRecipe):
        from mlsandbox.kinds.image_generator_training import GANTask, VAETask

        return (VAETask if self.conditional else GANTask)(self, data, recipe)

    def predict(self, inputs: list[str], as_json: bool, top: int | None, model_path: Path | None = None) -> int:
        """`mlsandbox predict digits_vae DRAWING...`: where the encoder places each drawing (as the digit the judge
        reads in it); a GAN reads nothing."""
        if not self.conditional:
            print(f"mlsandbox: {self.id} draws pictures and reads none: use `mlsandbox generate {self.id}`.",
                  file=sys.stderr)
            return 2
        model, judge, failures = Generator(self, model_path), None, 0
        for name in inputs:
            try:
                picture = self.judge.prepare(imaging.read_file(name))  # as the page's drawing is prepared
            except (OSError, imaging.ImageError) as e:
                failures += 1
                message = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
                print(json.dumps({"file": name, "error": message}) if as_json else f"mlsandbox: {name}: {message}",
                      file=sys.stdout if as_json else sys.stderr)
                continue
            judge = judge or Classifier(self.judge)  # its probabilities only: serving has no onnx for Judge
            digit = int(judge.probabilities(picture[None])[0].argmax())
            point = model.encode(picture, one_hot(digit, len(self.labels)))
            if as_json:
                print(json.dumps({"file": name, "digit": digit, "latent": [round(float(v), 4) for v in point]}))
            else:
                print(f"{name}: a {self.labels[digit]} at ({', '.join(f'{v:.2f}' for v in point)})")
        return 1 if failures else 0

    def write_pictures(self, seed: int, count: int, digit: int | None, out: Path,
                       model_path: Path | None = None) -> np.ndarray:
        """`mlsandbox generate`: count pictures from seed (of digit, for a conditional model) as one PNG grid."""
        model = Generator(self, model_path)
        latents = model.latents(seed, count)
        weights = model.weights(digit, count)
        pictures = model.draw(latents, weights)
        out.write_bytes(imaging.to_png(tiled(pictures, math.ceil(math.sqrt(count)))))
        return pictures


def one_hot(digit: int, classes: int) -> np.ndarray:
    weights = np.zeros(classes, dtype=np.float32)
    weights[digit] = 1.0
    return weights


def tiled(pictures: np.ndarray, columns: int, gap: int = 2) -> np.ndarray:
    """(N, H, W) pictures -> one (rows, columns) grid of them on black, gap pixels apart."""
    n, height, width = pictures.shape
    rows = math.ceil(n / columns)
    grid = np.zeros((rows * (height + gap) - gap, columns * (width + gap) - gap), dtype=np.float32)
    for i, picture in enumerate(pictures):
        top, left = (i // columns) * (height + gap), (i % columns) * (width + gap)
        grid[top : top + height, left : left + width] = picture
    return grid


class Generator:
    """A served generator: (N, latent) points (and, if conditional, (N, classes) class weights) -> (N, H, W)
    pictures in 0..1; a conditional one also encodes a picture to its latent point."""

    def __init__(self, experiment: ImageGenerator, path: Path | None = None, threads: int = 1):
        self.experiment, self.latent, self.classes = experiment, experiment.latent, len(experiment.labels)
        self.session, self.sha256 = open_session(experiment, path, threads)
        self.encoder = open_companion(experiment, ENCODER, path, threads) if experiment.conditional else None

    def latents(self, seed: int, count: int) -> np.ndarray:
        """count latent points drawn from the standard normal the generator learned from: the same for a seed. A
        coordinate beyond LATENT_LIMIT (one in 1.7 million; one request of 64 GAN points in 400) is held at it, so
        that every seed draws."""
        if not 0 <= seed <= MAX_SEED or not 1 <= count <= SAMPLES:
            raise BadLatent(f"Choose a seed from 0 to {MAX_SEED} and a count from 1 to {MAX_COUNT}.")
        points = np.random.default_rng(seed).standard_normal((count, self.latent), dtype=np.float32)
        return np.clip(points, -LATENT_LIMIT, LATENT_LIMIT)

    def weights(self, digit: int | None, count: int) -> np.ndarray | None:
        """Class weights for count pictures: digit's, or each class in turn where digit is None; None for a
        generator that draws no chosen class."""
        if not self.experiment.conditional:
            return None
        if digit is not None and not 0 <= digit < self.classes:
            raise BadLatent(f"Choose a digit from 0 to {self.classes - 1}.")
        chosen = np.full(count, digit) if digit is not None else np.arange(count) % self.classes
        return np.eye(self.classes, dtype=np.float32)[chosen]

    def chosen(self, seed: int, count: int) -> tuple[np.ndarray, np.ndarray | None]:
        """count points from seed, with each class in turn for a conditional generator: what evaluate draws."""
        return self.latents(seed, count), self.weights(None, count)

    def check(self, latents: np.ndarray, weights: np.ndarray | None) -> None:
        if latents.ndim != 2 or latents.shape[1] != self.latent or not 1 <= len(latents) <= SAMPLES:
            raise BadLatent(f"A latent point is a list of {self.latent} numbers; send from 1 to {MAX_COUNT} of them.")
        if not np.isfinite(latents).all() or np.abs(latents).max() > LATENT_LIMIT:
            raise BadLatent(f"Keep each latent coordinate within -{LATENT_LIMIT:g} to {LATENT_LIMIT:g}: training "
                            "drew them from a standard normal, so nothing was learned further out.")
        if self.experiment.conditional:
            if weights is None or weights.shape != (len(latents), self.classes):
                raise BadLatent(f"Give a digit for each point: 0 to {self.classes - 1}, or {self.classes} weights.")
            if not np.isfinite(weights).all() or (weights < 0).any() or (np.abs(weights.sum(1) - 1) > 1e-3).any():
                raise BadLatent(f"A digit's {self.classes} weights are each 0 to 1 and add up to 1.")

    def draw(self, latents: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """The pictures at latent points someone chose, checked first (BadLatent says what to change)."""
        latents = np.asarray(latents, dtype=np.float32)
        weights = None if weights is None else np.asarray(weights, dtype=np.float32)
        self.check(latents, weights)
        return self.decode(latents, weights)

    def decode(self, latents: np.ndarray, weights: np.ndarray | None = None, batch_size: int = 1000) -> np.ndarray:
        """The pictures at any latent points (an encoder's, which may lie past the limit a person is held to)."""
        parts = []
        for i in range(0, len(latents), batch_size):
            feeds = {"latent": latents[i : i + batch_size]}
            if weights is not None:
                feeds["digit"] = weights[i : i + batch_size]
            parts.append(self.session.run(["image"], feeds)[0][:, 0])
        return np.concatenate(parts)

    def logits(self, latents: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """A decoder's pixel logits (what its loss reads): (N, H, W)."""
        return self.session.run(["logits"], {"latent": latents, "digit": weights})[0][:, 0]

    def encode_all(self, pictures: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, H, W) pictures of the classes weights names -> the mean and log-variance of each one's latent point."""
        if self.encoder is None:
            raise BadLatent(f"{self.experiment.id} has no encoder: only a conditional VAE places a drawing.")
        images = pictures[:, None].astype(np.float32)
        mean, log_variance = self.encoder.run(["mean", "log_variance"], {"image": images, "digit": weights})
        return mean, log_variance

    def encode(self, picture: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return self.encode_all(picture[None], weights[None])[0][0]


def judge_model(judge: ImageClassifier) -> Path:
    """The committed model of a judge, checked against its card: a generator is judged by the shipped classifier
    even while other artifacts are written elsewhere (fast runs, lab runs)."""
    folder = PACKAGE_ARTIFACTS / judge.id
    path, card = folder / "model.onnx", folder / "card.json"
    if not path.is_file() or not card.is_file() or json.loads(card.read_text())["model"]["sha256"] != sha256_of(path):
        raise ModelUnavailable(f"The judge {judge.id} is missing or not the model its card names: restore "
                               f"{folder} from the repository or run `{judge.remake}`.")
    return path


class Judge:
    """A classifier trained here, reading pictures as its own test pictures were read: its probabilities, and its
    features (what its last layer reads, where the Fréchet distance is measured)."""

    def __init__(self, experiment: ImageClassifier, path: Path | None = None):
        import onnx  # to read the features out of the graph: training and evaluation have it, serving does not

        self.experiment = experiment
        model = onnx.load(str(path or judge_model(experiment)))
        producers = {name: node for node in model.graph.node for name in node.output}
        node = producers[model.graph.output[0].name]
        while node.op_type not in ("Gemm", "MatMul"):  # back from the probabilities to the last layer
            node = producers[node.input[0]]
        model.graph.output.append(onnx.helper.make_tensor_value_info(node.input[0], onnx.TensorProto.FLOAT, None))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def prepared(self, pictures: np.ndarray) -> np.ndarray:
        """As the judge's test pictures were prepared; a blank picture (nothing to crop to) as it is."""
        def one(picture: np.ndarray) -> np.ndarray:
            try:
                return self.experiment.prepare_array(picture)
            except imaging.EmptyDrawing:
                return picture.astype(np.float32)
        return np.stack([one(p) for p in pictures])[:, None]

    def read(self, pictures: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """(N, H, W) pictures -> (probabilities (N, classes), features (N, F)), in float64."""
        prepared = self.prepared(pictures)
        parts = [self.session.run(None, {self.input: prepared[i : i + batch_size]})
                 for i in range(0, len(prepared), batch_size)]
        return (np.concatenate([p[0] for p in parts]).astype(np.float64),
                np.concatenate([p[-1] for p in parts]).astype(np.float64))

    def __call__(self, pictures: np.ndarray) -> np.ndarray:
        return self.read(pictures)[0]


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of features (N, F):
    |mean_a - mean_b|^2 + tr(A + B - 2 (A B)^(1/2)), with tr (A B)^(1/2) the sum of the square roots of the
    eigenvalues of A^(1/2) B A^(1/2), which is symmetric."""
    difference = a.mean(0) - b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ cov_b @ root), 0, None)).sum()
    return float(difference @ difference + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def spread(readings: np.ndarray, classes: int) -> float:
    """The entropy of the classes read, over log(classes): 1 when each is read as often, 0 when one only."""
    shares = np.bincount(readings, minlength=classes) / len(readings)
    shares = shares[shares > 0]
    return max(0.0, float(-(shares * np.log(shares)).sum() / math.log(classes)))


def judged(model: Generator, judge: Judge, data, samples: int = SAMPLES, seed: int = EVALUATION_SEED,
           floor_seed: int = 0) -> dict:
    """What the judge finds in samples pictures drawn from seed (each class in turn for a conditional model),
    and the Fréchet distances to the test pictures: the generator's, and the training pictures' (the floor)."""
    latents, weights = model.chosen(seed, samples)
    probabilities, features = judge.read(model.draw(latents, weights))
    _, test_features = judge.read(data.x_test)
    kept = np.random.default_rng(floor_seed).permutation(len(data.x_train))[: len(data.x_test)]
    _, train_features = judge.read(data.x_train[kept])
    readings, classes = probabilities.argmax(1), probabilities.shape[1]
    distance, floor = frechet(features, test_features), frechet(train_features, test_features)
    metrics = {
        "samples": samples,
        "test_examples": len(data.x_test),  # the held-out pictures the distance is measured to
        "judge": judge.experiment.id,
        "confident": float((probabilities.max(1) >= CONFIDENT).mean()),
        "class_spread": spread(readings, classes),
        "class_shares": [round(float(s), 4) for s in np.bincount(readings, minlength=classes) / samples],
        "frechet": distance,
        "frechet_floor": floor,
        "frechet_ratio": distance / floor,
    }
    if weights is not None:
        asked = weights.argmax(1)
        metrics["readability"] = float((readings == asked).mean())
        metrics["readability_per_class"] = [round(float((readings[asked == c] == c).mean()), 4) for c in range(classes)]
    return metrics


def elbo(model: Generator, pictures: np.ndarray, labels: np.ndarray, seed: int = EVALUATION_SEED,
         batch_size: int = 1000) -> dict:
    """A conditional VAE's held-out figures, in nats per picture: the negative ELBO (one latent sample per
    picture), its reconstruction term (each pixel's ink as a Bernoulli probability) and its KL term; and the mean
    squared error per pixel of the picture drawn at each one's mean point."""
    noise = np.random.default_rng(seed).standard_normal((len(pictures), model.latent), dtype=np.float32)
    reconstruction, kl, squared = 0.0, 0.0, 0.0
    for i in range(0, len(pictures), batch_size):
        x, digits = pictures[i : i + batch_size].astype(np.float32), np.eye(model.classes, dtype=np.float32)[labels[i : i + batch_size]]
        mean, log_variance = model.encode_all(x, digits)
        z = (mean + np.exp(0.5 * log_variance) * noise[i : i + batch_size]).astype(np.float32)
        logits = model.logits(z, digits).astype(np.float64)
        # binary cross-entropy from logits, exact where the probabilities round to 0 or 1
        reconstruction += float((np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))).sum())
        kl += float(-0.5 * (1 + log_variance - mean**2 - np.exp(log_variance)).astype(np.float64).sum())
        squared += float(((model.decode(mean, digits) - x) ** 2).astype(np.float64).sum())
    n = len(pictures)
    return {"neg_elbo_nats": (reconstruction + kl) / n, "reconstruction_nats": reconstruction / n, "kl_nats": kl / n,
            "reconstruction_mse": squared / pictures[0].size / n, "test_examples": n}
