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
        axis.plot(epochs, [h[f"train_{metric}"] for h in history], "o-", label="training")
        axis.plot(epochs, [h[f"val_{metric}"] for h in history], "o-", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    return _save(figure, path)


MATRIX_LIMIT = 20  # more classes than this, and the confusion matrix is drawn as its worst pairs


def confusion(matrix: np.ndarray, labels: tuple[str, ...], path: Path | None = None, title: str = "",
              predicted_labels: tuple[str, ...] | None = None):
    """Rows: the true labels; columns: the predicted ones (labels, or predicted_labels where a model may also
    answer something else, such as "no hand")."""
    if len(labels) > MATRIX_LIMIT:
        return confused_pairs(matrix, labels, path, title)
    figure, axis = plt.subplots(figsize=(5.5, 5))
    shown = np.where(np.eye(*matrix.shape, dtype=bool), 0, matrix)  # colour the mistakes, not the diagonal
    axis.imshow(shown, cmap="Reds")
    darkest = max(shown.max(), 1)
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            colour = "#1a7f37" if row == col else "white" if count > darkest / 2 else "black"
            axis.text(col, row, str(count), ha="center", va="center", fontsize=7, color=colour)
    axis.set_xticks(range(matrix.shape[1]), predicted_labels or labels)
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title or "test set confusion matrix")
    figure.tight_layout()
    return _save(figure, path)


def confused_pairs(matrix: np.ndarray, labels: tuple[str, ...], path: Path | None = None, title: str = "",
                   count: int = 20):
    """The off-diagonal cells of a confusion matrix with the most test examples, as bars."""
    mistakes = np.where(np.eye(len(labels), dtype=bool), 0, matrix)
    worst = np.argsort(-mistakes, axis=None)[:count]
    rows, cols = np.unravel_index(worst, mistakes.shape)
    figure, axis = plt.subplots(figsize=(7, 0.28 * count + 1))
    axis.barh(range(count), mistakes[rows, cols], color="#c0392b")
    axis.set_yticks(range(count), [f"{labels[r]} → {labels[c]}" for r, c in zip(rows, cols)], fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("test drawings of the first class named as the second")
    axis.set_title(f"{title or 'test set'}: the {count} most confused pairs")
    figure.tight_layout()
    return _save(figure, path)


def gallery(images, titles=(), columns: int = 8, path: Path | None = None, title: str = "",
            cmap: str = "gray_r", limits: tuple[float, float] | None = (0.0, 1.0), size: float = 1.2):
    """Images in a grid, each with an optional title; 0..1 ink is drawn dark on white, as it was drawn.

    limits=None scales each image to its own range (for feature maps and weights)."""
    images, titles = list(images), list(titles)
    columns = max(1, min(columns, len(images)))
    rows = max(1, -(-len(images) // columns))
    lines = max((str(t).count("\n") + 1 for t in titles), default=0)
    figure, axes = plt.subplots(rows, columns, squeeze=False,
                                figsize=(size * columns, (size + 0.15 * lines) * rows + 0.4 * bool(title)))
    low, high = limits if limits is not None else (None, None)
    for i, axis in enumerate(axes.flat):
        axis.axis("off")
        if i < len(images):
            axis.imshow(np.asarray(images[i]), cmap=cmap, vmin=low, vmax=high)
            if i < len(titles):
                axis.set_title(str(titles[i]), fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return _save(figure, path)


def _save(figure, path: Path | None):
    if path is not None:
        figure.savefig(path, dpi=110)
        plt.close(figure)
    return figure
