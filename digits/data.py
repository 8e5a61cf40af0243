"""MNIST as in-memory tensors, the normalisation every model shares, and augmentation.

Images are kept as float tensors in [0, 1] (ink bright, paper 0), shape (N, 1, 28, 28);
``normalize`` turns them into what the models eat. Augmentation works on whole
batches at once, never image by image.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F

from .runtime import MEAN, STD  # noqa: F401  (the normalisation constants live with inference)


class DataNotFoundError(FileNotFoundError):
    """MNIST is not where we looked and could not be downloaded."""


def normalize(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] -> the standardised input every model was trained on."""
    return (images - MEAN) / STD


def data_root(root=None) -> Path:
    """Where MNIST lives: ``root`` if given, else $DIGITS_DATA, else ./data."""
    return Path(root or os.environ.get("DIGITS_DATA") or "data")


def load_mnist(train: bool = True, root=None, download: bool = True):
    """MNIST train (60,000) or test (10,000) split as ``(images, labels)`` tensors.

    ``images`` is float32 (N, 1, 28, 28) in [0, 1]; ``labels`` int64 (N,).
    Downloads through torchvision when the files are missing and ``download`` is set.
    """
    from torchvision.datasets import MNIST

    root = data_root(root)
    try:
        dataset = MNIST(root, train=train, download=False)
    except RuntimeError:
        dataset = None
    if dataset is None and download:
        try:
            dataset = MNIST(root, train=train, download=True)
        except Exception:  # offline, blocked, or a partial download
            dataset = None
    if dataset is None:
        raise DataNotFoundError(
            f"MNIST not found in {root.resolve()} (looked for {root.resolve() / 'MNIST' / 'raw'}) "
            "and it could not be downloaded. Point DIGITS_DATA at a folder holding "
            "MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte, "
            "e.g. DIGITS_DATA=../shared/data, or pass root=..."
        )
    images = dataset.data.unsqueeze(1).float().div_(255)
    return images, dataset.targets.long()


VALIDATION_SIZE = 5_000   # training images held out to calibrate the shipped models


def split_validation(images: torch.Tensor, labels: torch.Tensor, size: int = VALIDATION_SIZE, seed: int = 0):
    """A fixed random split of the MNIST training set: ((train), (validation)).

    The shipped models train on the first part; their confidence is calibrated on
    the second, which they never see (the test set stays untouched for evaluation).
    """
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    held, kept = order[:size], order[size:]
    return (images[kept], labels[kept]), (images[held], labels[held])


def random_affine(images: torch.Tensor, degrees: float = 10.0, scale=(0.9, 1.1),
                  translate: float = 0.1, shear: float = 0.0, elastic: float = 0.0,
                  generator=None) -> torch.Tensor:
    """Rotate, scale, shear, shift and (optionally) elastically bend each image of a batch.

    ``images`` are in [0, 1] with paper at 0 (the padding value); ``translate`` is a
    fraction of the image size; ``elastic`` is the typical displacement in pixels of a
    smooth random warp (a coarse 4x4 noise field, upsampled). One grid_sample per batch.
    """
    n, device = images.shape[0], images.device

    def uniform(lo, hi):
        return torch.rand(n, generator=generator, device=device) * (hi - lo) + lo

    angle = uniform(-degrees, degrees) * (math.pi / 180)
    s = uniform(*scale)
    sh = uniform(-shear, shear) * (math.pi / 180)
    tx, ty = uniform(-translate, translate) * 2, uniform(-translate, translate) * 2
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Inverse map (output -> input coordinates) as grid_sample expects, built
    # elementwise: F.affine_grid's batched matmul is several times slower here.
    a, b = cos / s, (-sin + torch.tan(sh) * cos) / s
    c, d = sin / s, cos / s
    h, w = images.shape[-2:]
    gy, gx = _pixel_centres(h, w, device)
    grid = torch.stack([
        a[:, None, None] * gx + b[:, None, None] * gy + tx[:, None, None],
        c[:, None, None] * gx + d[:, None, None] * gy + ty[:, None, None],
    ], -1)                                                   # (N, H, W, 2)
    if elastic > 0:
        noise = torch.randn(n, 2, 4, 4, generator=generator, device=device) * (elastic * 2 / w)
        grid = grid + F.interpolate(noise, size=(h, w), mode="bicubic",
                                    align_corners=False).permute(0, 2, 3, 1)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _pixel_centres(h, w, device=None):
    """Pixel-centre coordinates in [-1, 1] (rows, columns), as grid_sample reads them."""
    ys = (torch.arange(h, device=device) * 2 + 1) / h - 1
    xs = (torch.arange(w, device=device) * 2 + 1) / w - 1
    return torch.meshgrid(ys, xs, indexing="ij")


def random_thickness(images: torch.Tensor, p: float = 0.3, generator=None) -> torch.Tensor:
    """Make the strokes of a random share ``p`` of the batch thicker, and as many thinner.

    Grey dilation (3x3 max) and erosion (2x2 min) of the whole batch, then a per-image pick:
    real pens are thicker or thinner than MNIST's.
    """
    if not 0 <= p <= 0.5:
        raise ValueError(f"p is the share thickened (and the share thinned): 0 to 0.5, not {p}")
    if p == 0:
        return images
    pick = torch.rand(images.shape[0], generator=generator, device=images.device)
    thick = F.max_pool2d(images, 3, stride=1, padding=1)
    thin = -F.max_pool2d(F.pad(-images, (0, 1, 0, 1), value=0.0), 2, stride=1)
    out = torch.where((pick < p)[:, None, None, None], thick, images)
    return torch.where(((pick >= p) & (pick < 2 * p))[:, None, None, None], thin, out)
