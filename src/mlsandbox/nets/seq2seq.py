"""An LSTM encoder-decoder: reads a short text, writes another one character at a time."""

from __future__ import annotations

import torch
from torch import nn


class Seq2Seq(nn.Module):
    """The encoder reads the input characters (reversed, so the last ones it reads are the first ones
    typed); its final state starts the decoder, which writes the answer one character at a time, each
    step seeing the character written before (the true one in training, its own guess when answering).

    forward(text, answer) -> logits (N, answer_length, vocabulary) with the true answer fed in;
    forward(text) -> probabilities (N, answer_length, vocabulary), greedy: what is exported and served.
    """

    def __init__(self, input_vocabulary: int, output_vocabulary: int, answer_length: int, hidden: int = 256,
                 layers: int = 2, embedding: int = 32, dropout: float = 0.0):
        super().__init__()
        self.answer_length = answer_length
        self.start = output_vocabulary  # an extra decoder input: "nothing written yet"
        self.read = nn.Embedding(input_vocabulary, embedding)
        self.encoder = nn.LSTM(embedding, hidden, layers, batch_first=True, dropout=dropout)
        self.written = nn.Embedding(output_vocabulary + 1, embedding)
        self.decoder = nn.LSTM(embedding, hidden, layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden, output_vocabulary)

    def forward(self, text: torch.Tensor, answer: torch.Tensor | None = None) -> torch.Tensor:
        _, state = self.encoder(self.read(text.flip(1)))
        start = torch.full_like(text[:, :1], self.start)
        if answer is not None:
            steps = torch.cat([start, answer[:, :-1]], dim=1)
            out, _ = self.decoder(self.written(steps), state)
            return self.head(out)
        previous, probabilities = start, []
        for _ in range(self.answer_length):
            out, state = self.decoder(self.written(previous), state)
            p = torch.softmax(self.head(out), dim=-1)
            probabilities.append(p)
            previous = p.argmax(-1)
        return torch.cat(probabilities, dim=1)
