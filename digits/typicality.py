"""Is this like any digit the network was trained on? A check beside the probabilities.

A softmax must spread its probability over the ten digits, so a letter or a scribble
can still come out as a confident 0 or 7. The network's inner features say more: for
each of a few layers, a Gaussian per digit class with one shared covariance is fitted
on training digits, and an image's *atypicality* is the sum over the layers of its
squared Mahalanobis distance to the nearest class mean, each layer scaled by its median
on held-out digits, divided by a limit set so that a chosen small share of held-out
digits lies beyond it. Above 1: unlike the training digits, so not accepted without a person
looking, whatever the probability says. The probabilities themselves stay calibrated.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

BEYOND = 0.015     # share of held-out digits whose atypicality is allowed above 1 (the limit)


class Typicality(nn.Module):
    """Class means, whitening matrices and scales of the tapped layers, as buffers, so a
    checkpoint carries them. Unfitted (limit 0), every atypicality is 0."""

    def __init__(self, dims):
        super().__init__()
        self.layers = len(dims)
        for i, d in enumerate(dims):
            self.register_buffer(f"means{i}", torch.zeros(10, d))     # class means, whitened
            self.register_buffer(f"whiten{i}", torch.zeros(d, d))     # inverse Cholesky factor, transposed
        self.register_buffer("scales", torch.ones(len(dims)))
        self.register_buffer("limit", torch.zeros(()))

    def raw_scores(self, taps) -> torch.Tensor:
        """(N, layers): per layer, squared distance to the nearest class mean over its scale."""
        columns = []
        for i, features in enumerate(taps):
            z = features @ getattr(self, f"whiten{i}")                          # (N, d), whitened
            means = getattr(self, f"means{i}")                                  # (10, d)
            # |z - m|^2 = |z|^2 - 2 z.m + |m|^2, for all ten means by one product
            distances = z.pow(2).sum(1, keepdim=True) - 2 * z @ means.T + means.pow(2).sum(1)
            columns.append(distances.min(1).values / self.scales[i])
        return torch.stack(columns, 1)

    def forward(self, taps) -> torch.Tensor:
        """Atypicality (N,): above 1 means unlike the training digits; 0 when unfitted."""
        score = self.raw_scores(taps).sum(1)
        return torch.where(self.limit > 0, score / self.limit.clamp(min=1e-12), torch.zeros_like(score))


def _taps(model, images, batch_size=1000):
    """The model's tapped features for images in [0, 1], as float64 numpy arrays."""
    from .data import normalize
    model.eval()
    chunks = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            chunks.append(model.taps(normalize(images[start:start + batch_size]))[1])
    return [torch.cat([c[i] for c in chunks]).double().numpy() for i in range(len(chunks[0]))]


def fit_typicality(model, train_images, train_labels, held_out_images, beyond: float = BEYOND):
    """Fit ``model.typicality`` on training digits (class means, shared covariance) and set
    its limit so that ``beyond`` of ``held_out_images`` (digits it did not train on) lie
    above it. Images are (N, 1, 28, 28) in [0, 1]; returns the limit."""
    if not 0 < beyond < 0.5:
        raise ValueError(f"beyond is the share of held-out digits above the limit, in (0, 0.5), not {beyond}")
    gate = model.typicality
    labels = np.asarray(train_labels)
    with torch.no_grad():
        gate.limit.zero_()
        for i, features in enumerate(_taps(model, train_images)):
            means = np.stack([features[labels == c].mean(0) for c in range(10)])
            centred = features - means[labels]
            covariance = centred.T @ centred / len(features) + 1e-6 * np.eye(features.shape[1])
            whiten = np.linalg.inv(np.linalg.cholesky(covariance)).T      # z = x @ whiten: unit covariance
            getattr(gate, f"whiten{i}").copy_(torch.from_numpy(whiten))
            getattr(gate, f"means{i}").copy_(torch.from_numpy(means @ whiten))
        gate.scales.fill_(1.0)
        held_out = gate.raw_scores([torch.from_numpy(t).float() for t in _taps(model, held_out_images)])
        gate.scales.copy_(held_out.median(0).values)
        combined = (held_out / gate.scales).sum(1)
        gate.limit.fill_(float(torch.quantile(combined, 1 - beyond)))
    return float(gate.limit)
