"""Character-level language models: given the characters so far, how likely is each next one.

Both networks read a whole sequence at once for training (forward) and one character at a time for
generation (step), with their memory passed in and out explicitly, so that the step exports to ONNX and
generation runs without torch. forward and a run of steps compute the same numbers.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class LSTMModel(nn.Module):
    """Embedding, a stack of LSTM layers, a linear read-out. Its memory is the LSTM's h and c."""

    def __init__(self, vocabulary: int, hidden: int = 512, layers: int = 2, embedding: int = 64,
                 dropout: float = 0.0):
        super().__init__()
        self.layers, self.hidden = layers, hidden
        self.embed = nn.Embedding(vocabulary, embedding)
        self.lstm = nn.LSTM(embedding, hidden, layers, batch_first=True, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocabulary)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, T) character ids -> (N, T, vocabulary) logits, each from the characters up to it."""
        out, _ = self.lstm(self.embed(x))
        return self.head(self.drop(out))

    def memory(self, batch: int) -> dict[str, torch.Tensor]:
        zeros = torch.zeros(self.layers, batch, self.hidden)
        return {"h": zeros, "c": zeros.clone()}

    def step(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        """(N,) character ids and the memory -> (N, vocabulary) log-probabilities of the next one, new memory."""
        out, (h, c) = self.lstm(self.embed(x[:, None]), (h, c))
        return F.log_softmax(self.head(out[:, 0]), dim=-1), h, c


class Block(nn.Module):
    """Pre-norm transformer block: causal self-attention, then an MLP, each added to the stream."""

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))
        self.drop = nn.Dropout(dropout)

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        n, t, _ = x.shape
        return tuple(part.view(n, t, self.heads, -1).transpose(1, 2) for part in self.qkv(x).chunk(3, dim=-1))

    def finish(self, x: torch.Tensor, attended: torch.Tensor) -> torch.Tensor:
        n, _, t, _ = attended.shape
        x = x + self.drop(self.out(attended.transpose(1, 2).reshape(n, t, -1)))
        return x + self.drop(self.mlp(self.norm2(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.split(self.norm1(x))
        dropout = self.drop.p if self.training else 0.0
        return self.finish(x, F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout))

    def step(self, x: torch.Tensor, slot: torch.Tensor, visible: torch.Tensor, keys: torch.Tensor,
             values: torch.Tensor):
        """One position: x (N, 1, width); its keys and values written into the caches (N, heads, context,
        head width) at slot, attention over the visible slots."""
        q, k, v = self.split(self.norm1(x))
        keys, values = torch.where(slot, k, keys), torch.where(slot, v, values)
        scores = (q @ keys.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        weights = torch.softmax(scores.masked_fill(~visible, float("-inf")), dim=-1)
        return self.finish(x, weights @ values), keys, values


class TransformerModel(nn.Module):
    """A small GPT: character and position embeddings, pre-norm blocks, a linear read-out. Its memory
    is every layer's keys and values of the positions so far, in caches as long as its context."""

    def __init__(self, vocabulary: int, context: int = 256, width: int = 256, layers: int = 4, heads: int = 4,
                 dropout: float = 0.0):
        super().__init__()
        self.context, self.width, self.heads = context, width, heads
        self.embed = nn.Embedding(vocabulary, width)
        self.position = nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocabulary)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, T) character ids, T <= context -> (N, T, vocabulary) logits."""
        positions = torch.arange(x.shape[1], device=x.device)
        h = self.drop(self.embed(x) + self.position(positions))
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h))

    def memory(self, batch: int) -> dict[str, torch.Tensor]:
        zeros = torch.zeros(len(self.blocks), batch, self.heads, self.context, self.width // self.heads)
        return {"keys": zeros, "values": zeros.clone()}

    def step(self, x: torch.Tensor, position: torch.Tensor, keys: torch.Tensor, values: torch.Tensor):
        """(N,) character ids at position (a 0-d int64 tensor, < context) and the caches (layers, N, heads,
        context, head width) -> (N, vocabulary) log-probabilities of the next character, new caches."""
        slots = torch.arange(self.context, device=x.device)
        slot, visible = (slots == position).view(1, 1, -1, 1), (slots <= position).view(1, 1, 1, -1)
        h = self.embed(x[:, None]) + self.position(position.view(1))
        new_keys, new_values = [], []
        for i, block in enumerate(self.blocks):
            h, k, v = block.step(h, slot, visible, keys[i], values[i])
            new_keys.append(k)
            new_values.append(v)
        logits = self.head(self.norm(h[:, 0]))
        return F.log_softmax(logits, dim=-1), torch.stack(new_keys), torch.stack(new_values)
