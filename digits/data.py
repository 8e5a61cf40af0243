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


def flag_ones(images: torch.Tensor, labels: torch.Tensor, p: float = 0.3, generator=None) -> torch.Tensor:
    """Give a random share ``p`` of the 1s a flag: the short stroke down to the left from the
    top of the stem with which much of the world writes a 1 (MNIST's 1s are nearly all bare
    sticks, so a network trained on them alone reads a flagged 1 as a 7).

    The flag starts at the top of the ink and falls 40-70 degrees below the horizontal to the left
    (a 7's bar is flatter and longer); it is 12-30 % of the stem's height long and as thick as the
    stem. Only 1s standing within 15 degrees of upright get one: a flag on a 1 leaning far over
    makes what is, to most readers, a 7 with a short bar.
    Other images are returned unchanged; shapes, value range and labels are kept.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p is the share of 1s given a flag: 0 to 1, not {p}")
    device = images.device
    pick = (labels == 1) & (torch.rand(len(labels), generator=generator, device=device) < p)
    which = pick.nonzero().flatten()
    if len(which) == 0:
        return images
    ones = images[which, 0]                                    # (k, H, W)
    k, h, w = ones.shape
    rows = torch.arange(h, device=device, dtype=ones.dtype)
    cols = torch.arange(w, device=device, dtype=ones.dtype)
    inked_rows = (ones > 0.5).any(2)                           # (k, H)
    top = inked_rows.float().argmax(1)                         # first inked row
    bottom = h - 1 - inked_rows.flip(1).float().argmax(1)      # last inked row
    stem = (bottom - top + 1).clamp(min=4).to(ones.dtype)
    top_row = ones[torch.arange(k, device=device), top]        # (k, W)
    x0 = (top_row * cols).sum(1) / top_row.sum(1).clamp(min=1e-6) + 0.5
    y0 = top.to(ones.dtype) + 0.5
    width = (ones.sum((1, 2)) / stem).clamp(1.5, 4.0)
    # The stem's direction, pointing down: the main axis of the ink.
    mass = ones.sum((1, 2)).clamp(min=1e-6)
    py, px = rows[None, :, None] + 0.5, cols[None, None, :] + 0.5
    my, mx = (ones * py).sum((1, 2)) / mass, (ones * px).sum((1, 2)) / mass
    cyy = (ones * (py - my[:, None, None]) ** 2).sum((1, 2)) / mass
    cxx = (ones * (px - mx[:, None, None]) ** 2).sum((1, 2)) / mass
    cxy = (ones * (px - mx[:, None, None]) * (py - my[:, None, None])).sum((1, 2)) / mass
    axis = 0.5 * torch.atan2(2 * cxy, cyy - cxx)               # angle of the main axis from straight down
    sx, sy = torch.sin(axis), torch.cos(axis)

    def uniform(lo, hi):
        return torch.rand(k, generator=generator, device=device) * (hi - lo) + lo

    fall = uniform(40, 70) * (math.pi / 180)                  # below the horizontal, to the left
    length = uniform(0.12, 0.3) * stem
    upright = axis.abs() <= 15 * math.pi / 180
    x1, y1 = x0 - length * torch.cos(fall), y0 + length * torch.sin(fall)
    # Distance from every pixel centre to the segment (x0, y0)-(x1, y1), then a soft-edged stroke.
    dx, dy = (x1 - x0)[:, None, None], (y1 - y0)[:, None, None]
    t = (((px - x0[:, None, None]) * dx + (py - y0[:, None, None]) * dy) / (dx * dx + dy * dy).clamp(min=1e-6)).clamp(0, 1)
    distance = torch.hypot(px - x0[:, None, None] - t * dx, py - y0[:, None, None] - t * dy)
    ink = (width[:, None, None] / 2 + 0.5 - distance).clamp(0, 1) * ones.amax((1, 2))[:, None, None]
    ink = ink * upright[:, None, None]
    out = images.clone()
    out[which, 0] = torch.maximum(ones, ink)
    return out
