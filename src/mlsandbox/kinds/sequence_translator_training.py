"""The torch side of sequence translators: fresh examples each step, cross-entropy on every written
character with the true previous character fed in, the greedy decoder exported to ONNX, and the lab's view
of the answers it writes in training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

from mlsandbox.export import write_onnx
from mlsandbox.kinds.sequence_translator import SequenceTranslator, TranslatorRecipe
from mlsandbox.train import device

SAMPLES = 12  # validation inputs the lab shows answered


class TranslationTask:
    def __init__(self, experiment: SequenceTranslator, data, recipe: TranslatorRecipe):
        self.experiment, self.data, self.recipe = experiment, data, recipe
        self.steps_per_epoch = recipe.steps_per_epoch
        self.validation = self.tensors(*data.validation)

    def tensors(self, texts: list[str], answers: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.experiment
        return (torch.from_numpy(e.encode(texts)).to(device()), torch.from_numpy(e.encode_output(answers)).to(device()))

    def batches(self, generator: torch.Generator):
        rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=generator)))
        for _ in range(self.steps_per_epoch):
            yield self.tensors(*self.data.training(self.recipe.batch_size, rng))

    def loss(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, int, int]:
        """Mean cross-entropy per written character; right means the whole answer right."""
        x, y = batch
        logits = model(x, y)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        return loss, int((logits.argmax(-1) == y).all(dim=1).sum()), len(y)

    @torch.no_grad()
    def validate(self, model: torch.nn.Module) -> tuple[float, float]:
        """Loss with the true characters fed in; accuracy of the greedy answers, as served."""
        model.eval()
        x, y = self.validation
        loss = F.cross_entropy(model(x, y).flatten(0, 1), y.flatten()).item()
        return loss, (model(x).argmax(-1) == y).all(dim=1).float().mean().item()

    def lab_examples(self) -> dict:
        return {}

    @torch.no_grad()
    def lab_view(self, model: torch.nn.Module) -> dict:
        """The greedy answers to the first SAMPLES validation inputs, as served, beside the right ones."""
        texts, truths = (part[:SAMPLES] for part in self.data.validation)
        written = model.eval()(self.validation[0][:SAMPLES]).argmax(-1).cpu().tolist()
        answers = [self.written_text(ids) for ids in written]
        return {"samples": [{"text": text, "answer": answer, "truth": truth, "right": answer == truth}
                            for text, answer, truth in zip(texts, answers, truths)]}

    def written_text(self, ids: list[int]) -> str:
        """Character ids in the order the model wrote them, up to its first padding (the end of its answer,
        as Translator reads it) -> the answer."""
        e = self.experiment
        end = ids.index(0) if 0 in ids else len(ids)
        return e.in_writing_order("".join(e.output_alphabet[i] for i in ids[:end]))

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        """Input "text" (N, input_length) int64 -> "probabilities" (N, output_length, alphabet), greedy."""
        x = self.validation[0][:512].cpu()
        batch = torch.export.Dim("batch", min=1, max=65536)
        write_onnx(model, (x[:2],), path, ["text"], ["probabilities"], ({0: batch},))
        with torch.no_grad():
            expected = model.eval().cpu()(x).numpy()
        actual = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"text": x.numpy()})[0]
        return float(np.abs(actual - expected).max())
