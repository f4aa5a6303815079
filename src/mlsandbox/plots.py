"""Training curves and the confusion matrix as PNG files (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def curves(history: list[dict], path: Path | None = None, title: str = ""):
    epochs = [h["epoch"] for h in history]
    figure, (loss, accuracy) = plt.subplots(1, 2, figsize=(10, 3.6))
    for axis, metric in ((loss, "loss"), (accuracy, "accuracy")):
        axis.plot(epochs, [h[f"train_{metric}"] for h in history], "o-", label="training (augmented)")
        axis.plot(epochs, [h[f"val_{metric}"] for h in history], "o-", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    return _save(figure, path)


def confusion(matrix: np.ndarray, labels: tuple[str, ...], path: Path | None = None, title: str = ""):
    matrix = np.asarray(matrix)
    figure, axis = plt.subplots(figsize=(5.5, 5))
    shown = np.where(np.eye(len(labels), dtype=bool), 0, matrix)  # colour the mistakes, not the diagonal
    axis.imshow(shown, cmap="Reds")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            axis.text(col, row, str(count), ha="center", va="center", fontsize=7,
                      color="black" if row != col else "#1a7f37")
    axis.set_xticks(range(len(labels)), labels)
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title or "test set confusion matrix")
    figure.tight_layout()
    return _save(figure, path)


def _save(figure, path: Path | None):
    if path is not None:
        figure.savefig(path, dpi=110)
        plt.close(figure)
    return figure
