"""The torch side of image generators: the GAN's game and the VAE's two-term loss as tasks of the one training loop,
their validation by the judge, the ONNX graphs that are served, and the lab's view of a network learning to draw."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

from mlsandbox.data import Split
from mlsandbox.export import write_onnx
from mlsandbox.kinds.image_generator import ENCODER, GeneratorRecipe, ImageGenerator, Judge, frechet, tiled
from mlsandbox.lab import pictures
from mlsandbox.train import LAYOUT, as_tensor, device

VALIDATION_SAMPLES = 2_000  # pictures drawn and judged at each validation
VIEW_SEED = 1  # of the latent points the lab redraws at each validation, and of validation's
VIEWED_COLUMNS, VIEWED_ROWS = 8, 4


class GeneratorTask:
    """What a GAN's and a VAE's tasks share: the training pictures in shuffled batches with the noise each step
    needs, the judge, and the fixed latent points drawn at each validation."""

    def __init__(self, experiment: ImageGenerator, split: Split, recipe: GeneratorRecipe):
        self.experiment, self.split, self.recipe = experiment, split, recipe
        self.x_train, self.y_train = as_tensor(split.x_train), torch.from_numpy(split.y_train)
        self.steps_per_epoch = math.ceil(len(split.y_train) / recipe.batch_size)
        self.classes = len(experiment.labels)
        self.parts: dict[str, float] = {}  # the last step's loss, term by term (the lab charts them)
        rng = np.random.default_rng(VIEW_SEED)
        self.viewed = torch.from_numpy(rng.standard_normal((VIEWED_COLUMNS * VIEWED_ROWS, experiment.latent),
                                                           dtype=np.float32))
        self.sampled = torch.from_numpy(rng.standard_normal((VALIDATION_SAMPLES, experiment.latent), dtype=np.float32))

    @functools.cached_property
    def judge(self) -> Judge:
        return Judge(self.experiment.judge)

    @functools.cached_property
    def validation_features(self) -> np.ndarray:
        return self.judge.read(self.split.x_val)[1]

    def batches(self, generator: torch.Generator):
        order = torch.randperm(len(self.y_train), generator=generator)
        for i in range(self.steps_per_epoch):
            index = order[i * self.recipe.batch_size : (i + 1) * self.recipe.batch_size]
            noise = torch.randn(len(index), self.experiment.latent, generator=generator)
            yield (self.x_train[index].to(device(), memory_format=LAYOUT), self.y_train[index].to(device()),
                   noise.to(device()))

    def weights(self, digits: torch.Tensor) -> torch.Tensor:
        return F.one_hot(digits, self.classes).float()

    @torch.no_grad()
    def draw(self, model: torch.nn.Module, latents: torch.Tensor, digits: torch.Tensor | None = None) -> np.ndarray:
        """(N, H, W) pictures of the latent points (of digits, for a conditional model), in eval mode."""
        model.eval()
        run = device()
        args = (latents.to(run),) if digits is None else (latents.to(run), self.weights(digits).to(run))
        return model(*args)[:, 0].float().cpu().numpy()

    def viewed_digits(self) -> torch.Tensor | None:
        return None

    def lab_examples(self) -> dict:
        return {"labels": list(self.experiment.labels), "columns": VIEWED_COLUMNS, "rows": VIEWED_ROWS,
                "parts": list(self.part_names)}

    def lab_view(self, model: torch.nn.Module) -> dict:
        """The fixed latent points drawn by the network as it is now, and what the judge reads in them."""
        drawn = self.draw(model, self.viewed, self.viewed_digits())
        readings = self.judge(drawn)
        grid = tiled(drawn, VIEWED_COLUMNS)
        return {"drawn": pictures.data_url(1 - grid),  # dark on light, as the page shows every picture
                "readings": [{"label": int(p.argmax()), "probability": round(float(p.max()), 4)} for p in readings]}

    def parity(self, session_inputs: dict, expected: list[np.ndarray], path: Path, names: list[str]) -> float:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        actual = session.run(names, session_inputs)
        return max(float(np.abs(a - e).max()) for a, e in zip(actual, expected))


class GANTask(GeneratorTask):
    """The two networks take turns, one step each: the discriminator learns to tell the training pictures from the
    generator's, then the generator learns to be told real by the discriminator as it now is. The loop's optimiser
    steps only the network whose turn it is (the other's weights get no gradient), at its own rate (nets.gan)."""

    part_names = ("discriminator", "generator")
    turns = 0  # losses asked for so far: the discriminator's turn on odd ones, the generator's on even ones

    def loss(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, int, int]:
        """The loss of the network whose turn it is; the share of right calls is the discriminator's, on real and
        drawn pictures in its turns and on drawn ones in the generator's."""
        real, _, noise = batch
        judge = model.discriminator
        self.turns += 1
        if self.turns % 2:
            with torch.no_grad():
                fake = model.generator(noise)
            real_score, fake_score = judge(real), judge(fake)
            # Asked to be at most real_label sure of a real picture (one-sided label smoothing, Salimans et al.,
            # 2016), the discriminator does not win so easily that the generator learns little.
            real_loss = F.binary_cross_entropy_with_logits(real_score, torch.full_like(real_score, self.recipe.real_label))
            discriminator_loss = real_loss + F.softplus(fake_score).mean()
            self.parts["discriminator"] = discriminator_loss.item()
            return discriminator_loss, int((real_score > 0).sum() + (fake_score < 0).sum()), 2 * len(real)
        # The generator reads the discriminator through weights it cannot move, and maximises log D(fake)
        # ("non-saturating": that still has a gradient when the discriminator wins).
        fake_score = torch.func.functional_call(judge, {name: weight.detach() for name, weight in judge.named_parameters()},
                                                (model.generator(noise),))
        generator_loss = F.softplus(-fake_score).mean()
        self.parts["generator"] = generator_loss.item()
        return generator_loss, int((fake_score < 0).sum()), len(real)

    def validate(self, model: torch.nn.Module) -> tuple[float, float]:
        """The Fréchet distance between VALIDATION_SAMPLES drawn pictures and the validation pictures in the judge's
        feature space, and the share of drawn pictures the judge reads with confidence."""
        probabilities, features = self.judge.read(self.draw(model, self.sampled))
        return frechet(features, self.validation_features), float((probabilities.max(1) >= 0.9).mean())

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        generator = model.generator.eval().cpu()
        batch = torch.export.Dim("batch", min=1, max=65536)
        write_onnx(generator, (torch.zeros(2, self.experiment.latent),), path, ["latent"], ["image"], ({0: batch},))
        latents = self.sampled[:256]
        with torch.no_grad():
            expected = generator(latents).numpy()
        return self.parity({"latent": latents.numpy()}, [expected], path, ["image"])


class Decoder(torch.nn.Module):
    """The served decoder: the picture in 0..1 and its logits (what the held-out ELBO reads)."""

    def __init__(self, vae: torch.nn.Module):
        super().__init__()
        self.decoder = vae.decoder

    def forward(self, latent: torch.Tensor, digit: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.decoder(latent, digit)
        return torch.sigmoid(logits), logits


class VAETask(GeneratorTask):
    """The encoder places each training picture (with its digit) at a small region of the latent space; one point is
    drawn from it, and the decoder draws the picture back from that point. The loss is the negative ELBO: how
    unlikely the picture is under the decoder (reconstruction), plus how far the region is from the standard normal
    the decoder will be asked to draw from (KL), in nats per picture."""

    part_names = ("reconstruction", "kl")

    def terms(self, model: torch.nn.Module, x: torch.Tensor, digits: torch.Tensor,
              noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = self.weights(digits)
        mean, log_variance = model.encoder(x, weights)
        z = mean + torch.exp(0.5 * log_variance) * noise
        logits = model.decoder(z, weights)
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
        kl = -0.5 * (1 + log_variance - mean**2 - log_variance.exp()).sum() / len(x)
        return reconstruction, kl

    def loss(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, int, int]:
        x, digits, noise = batch
        reconstruction, kl = self.terms(model, x, digits, noise)
        self.parts = {"reconstruction": reconstruction.item(), "kl": kl.item()}
        return reconstruction + self.recipe.kl_weight * kl, 0, len(x)

    @functools.cached_property
    def validation_noise(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(VIEW_SEED)
        return torch.randn(len(self.split.y_val), self.experiment.latent, generator=generator)

    @torch.no_grad()
    def validate(self, model: torch.nn.Module) -> tuple[float, float]:
        """The negative ELBO on the validation pictures (nats per picture), and the share of pictures drawn for each
        digit in turn that the judge reads as that digit."""
        model.eval()
        run, x = device(), as_tensor(self.split.x_val)
        digits = torch.from_numpy(self.split.y_val)
        total = 0.0
        for i in range(0, len(x), 1000):
            reconstruction, kl = self.terms(model, x[i : i + 1000].to(run), digits[i : i + 1000].to(run),
                                            self.validation_noise[i : i + 1000].to(run))
            total += float(reconstruction + kl) * len(x[i : i + 1000])
        asked = torch.arange(VALIDATION_SAMPLES) % self.classes
        readings = self.judge(self.draw(model, self.sampled, asked)).argmax(1)
        return total / len(x), float((readings == asked.numpy()).mean())

    def viewed_digits(self) -> torch.Tensor:
        return torch.arange(len(self.viewed)) % self.classes

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        vae = model.eval().cpu()
        batch = torch.export.Dim("batch", min=1, max=65536)
        two = (torch.zeros(2, self.experiment.latent), torch.zeros(2, self.classes))
        write_onnx(Decoder(vae), two, path, ["latent", "digit"], ["image", "logits"], ({0: batch}, {0: batch}))
        encoder_path = path.parent / ENCODER
        write_onnx(vae.encoder, (torch.zeros(2, 1, 28, 28), torch.zeros(2, self.classes)), encoder_path,
                   ["image", "digit"], ["mean", "log_variance"], ({0: batch}, {0: batch}))
        latents, weights = self.sampled[:256], self.weights(torch.arange(256) % self.classes)
        images = as_tensor(self.split.x_test[:256])
        with torch.no_grad():
            drawn = [t.numpy() for t in Decoder(vae)(latents, weights)]
            placed = [t.numpy() for t in vae.encoder(images, weights)]
        return max(self.parity({"latent": latents.numpy(), "digit": weights.numpy()}, drawn, path, ["image", "logits"]),
                   self.parity({"image": images.numpy(), "digit": weights.numpy()}, placed, encoder_path,
                               ["mean", "log_variance"]))
