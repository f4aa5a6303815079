"""The torch side of text generators: random windows of the training text, cross-entropy on every next
character, the one-step model (memory in, memory out) exported to ONNX with its vocabulary, and the lab's
view: what the network writes as it learns."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F

from mlsandbox.data import TextSplit
from mlsandbox.export import write_onnx
from mlsandbox.kinds.text_generator import TextGenerator, TextRecipe, vocabulary
from mlsandbox.train import device

# The lab's sample: characters, temperature, seed, and the most seconds it may take. Each character reads the
# whole context again: the Shakespeare LSTM takes about 2.7 s for 150 characters on one thread of a shared
# 2-core machine (4 s for 200); a wider or deeper network that a learner chose writes fewer in the time.
LAB_LENGTH, LAB_TEMPERATURE, LAB_SEED, LAB_SECONDS = 150, 0.8, 0, 4.0


def encode(text: str, chars: list[str]) -> torch.Tensor:
    index = {c: i for i, c in enumerate(chars)}
    return torch.tensor([index.get(c, 0) for c in text], dtype=torch.long)


@torch.no_grad()
def sample(model: torch.nn.Module, chars: list[str], prompt: str, length: int, temperature: float, context: int,
           seed: int = 0, seconds: float | None = None) -> str:
    """What the PyTorch network writes after prompt, each character drawn at temperature from its reading of
    the last `context` characters: a look at a network still in training (serving uses the step model).
    With seconds, it stops early once that much time has passed: what it wrote by then."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    ids = encode(prompt, chars).tolist()
    started = time.perf_counter()
    for _ in range(length):
        if seconds is not None and time.perf_counter() - started >= seconds:
            break
        logits = model(torch.tensor([ids[-context:]], device=device()))[0, -1].float().cpu()
        ids.append(int(torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator)))
    return "".join(chars[i] for i in ids[len(prompt):])


class Step(torch.nn.Module):
    """The network's step as a module of tensors only, for the exporter."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, character, *rest):
        return self.net.step(character, *rest)


class TextTask:
    def __init__(self, experiment: TextGenerator, data: TextSplit, recipe: TextRecipe):
        self.experiment, self.recipe = experiment, recipe
        self.chars = vocabulary(experiment.load_data().train)  # the whole training text's, as build_net
        self.train = encode(data.train, self.chars)
        self.validation = encode(data.validation, self.chars)
        self.steps_per_epoch = recipe.steps_per_epoch

    def batches(self, generator: torch.Generator):
        span = self.recipe.context
        for _ in range(self.steps_per_epoch):
            starts = torch.randint(len(self.train) - span - 1, (self.recipe.batch_size,), generator=generator)
            window = torch.stack([self.train[s : s + span + 1] for s in starts.tolist()]).to(device())
            yield window[:, :-1], window[:, 1:]

    def loss(self, model: torch.nn.Module, batch) -> tuple[torch.Tensor, int, int]:
        """Mean nats per character; right means the most likely next character was the one that came."""
        x, y = batch
        logits = model(x)
        return F.cross_entropy(logits.flatten(0, 1), y.flatten()), int((logits.argmax(-1) == y).sum()), y.numel()

    @torch.no_grad()
    def validate(self, model: torch.nn.Module, batch_size: int = 32) -> tuple[float, float]:
        """Nats per character and next-character accuracy over the validation text, in windows of the
        training context each read from an empty memory."""
        model.eval()
        span = self.recipe.context
        count = (len(self.validation) - 1) // span
        x = self.validation[: count * span].view(count, span)
        y = self.validation[1 : count * span + 1].view(count, span)
        nats, right = 0.0, 0
        for i in range(0, count, batch_size):
            logits = model(x[i : i + batch_size].to(device()))
            target = y[i : i + batch_size].to(device())
            nats += F.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="sum").item()
            right += int((logits.argmax(-1) == target).sum())
        return nats / y.numel(), right / y.numel()

    def lab_examples(self) -> dict:
        return {"prompt": self.experiment.prompts[0]}

    def lab_view(self, model: torch.nn.Module) -> dict:
        """What the network writes after the lab's prompt, drawn the same way at every validation."""
        return {"sample": sample(model, self.chars, self.experiment.prompts[0], LAB_LENGTH, LAB_TEMPERATURE,
                                 self.recipe.context, seed=LAB_SEED, seconds=LAB_SECONDS)}

    def to_onnx(self, model: torch.nn.Module, path: Path) -> float:
        """Inputs "character" (N,) int64, ["position" () int64,] memory; outputs "log_probabilities" (N,
        vocabulary) and the new memory. The vocabulary (and a transformer's context) go in the file's
        metadata, so the model and its alphabet cannot be separated."""
        model = model.eval().cpu()
        memory = model.memory(2)
        position = {"position": torch.tensor(0)} if hasattr(model, "context") else {}
        args = (torch.zeros(2, dtype=torch.long), *position.values(), *memory.values())
        batch = torch.export.Dim("batch", min=1, max=4096)
        shapes = ({0: batch}, (*(None for _ in position), *({1: batch} for _ in memory)))  # Step's (character, *rest)
        names = ["character", *position, *memory]
        write_onnx(Step(model), args, path, names, ["log_probabilities", *(f"next_{m}" for m in memory)], shapes)
        saved = onnx.load(path)
        metadata = {"vocabulary": json.dumps(self.chars, ensure_ascii=False)}
        if position:
            metadata["context"] = str(model.context)
        onnx.helper.set_model_props(saved, metadata)
        onnx.save(saved, path)
        return self.parity(model, path)

    @torch.no_grad()
    def parity(self, model: torch.nn.Module, path: Path, length: int = 48) -> float:
        """Largest difference in log-probabilities between the ONNX step model fed one character at a time
        and the PyTorch network reading the whole sequence at once."""
        x = self.validation[:length][None].repeat(2, 1)
        expected = F.log_softmax(model(x), dim=-1).numpy()
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        memory = [m.numpy() for m in model.memory(2).values()]
        worst = 0.0
        for t in range(length):
            feed = {"character": x[:, t].numpy(), **dict(zip(names[-len(memory):], memory))}
            if "position" in names:
                feed["position"] = np.array(t, dtype=np.int64)
            log_p, *memory = session.run(None, feed)
            worst = max(worst, float(np.abs(log_p - expected[:, t]).max()))
        return worst
