"""Network families (PyTorch; imported only for training and export): (N, C, H, W) images in 0..1 -> logits."""

import torch


def scores(score, x: torch.Tensor, mirror: bool, training: bool) -> torch.Tensor:
    """score(x), or when mirror is set and the network is not training, the mean of the scores of x and
    of x mirrored left to right: a drawing and its mirror image judged together (test-time augmentation
    for data where mirroring keeps the class)."""
    if mirror and not training:
        return (score(x) + score(x.flip(3))) / 2
    return score(x)
