"""Is this like any digit the network was trained on? A check beside the probabilities.

A softmax must spread its probability over the ten digits, so a letter or a scribble
can still come out as a confident 0 or 7. The network's inner features say more: for
each of a few layers, a Gaussian per digit class with one shared covariance is fitted
on training digits, and an image's *atypicality* is the sum over the layers of its
squared Mahalanobis distance to the nearest class mean, each layer scaled by its median
on held-out digits, divided by a limit set so that a chosen small share of held-out
digits lies beyond it. Above 1: unlike the training digits, so not accepted without a person
looking, whatever the probability says. The probabilities themselves stay calibrated.

A learnt part sharpens it: a linear score over the same features, trained to tell digits
(as given, as preprocessing frames them, and photographed then preprocessed) from things
that are not one digit (digits.outliers: two digits overlaid or touching, pen strokes,
glyphs, curves), with its own limit set the same way on the held-out digits. An image is
atypical when either part says so: the atypicality is the larger of the two ratios.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

BEYOND = 0.005     # share of held-out digits beyond the Gaussian part's limit
LEARNT_BEYOND = 0.0175   # ...and beyond the learnt part's, which tells digits from non-digits better
LEARNT_FITS = 4    # the learnt score is the mean of this many fits (seeds): one alone varies
READ_BEYOND, READ_LEARNT_BEYOND = 0.015, 0.01   # read's own limits, for judging the pieces of a cut
UNFITTED = -30.0       # the learnt score of an unfitted check: exp(-30), never beyond its limit


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
        for i, d in enumerate(dims):
            self.register_buffer(f"learnt{i}", torch.zeros(d))       # weights of the learnt score
        self.register_buffer("learnt_bias", torch.tensor(UNFITTED))   # its limit folded in: > 0 is beyond
        self.register_buffer("read_limit", torch.zeros(()))    # read's limits: the Gaussian part's (0: as limit)
        self.register_buffer("read_shift", torch.zeros(()))    # ...and the learnt score's shift to its own

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

    def learnt_score(self, taps) -> torch.Tensor:
        """(N,): the learnt part's score less its limit (above 0: not one digit)."""
        return sum(features @ getattr(self, f"learnt{i}") for i, features in enumerate(taps)) + self.learnt_bias

    def forward(self, taps) -> torch.Tensor:
        """Atypicality (N,): above 1 means unlike the training digits; 0 when unfitted."""
        return self.both(taps)[0]

    def both(self, taps) -> tuple[torch.Tensor, torch.Tensor]:
        """(atypicality, reading atypicality): the second by read's own limits, with which
        ``read`` judges the pieces of a cut (the limits of a checkpoint without them: the first's)."""
        distance, learnt = self.raw_scores(taps).sum(1), self.learnt_score(taps)
        read_limit = torch.where(self.read_limit > 0, self.read_limit, self.limit)
        judged = []
        for limit, score in ((self.limit, learnt), (read_limit, learnt + self.read_shift)):
            atypicality = torch.maximum(distance / limit.clamp(min=1e-12), score.clamp(max=30.0).exp())
            judged.append(torch.where(self.limit > 0, atypicality, torch.zeros_like(atypicality)))
        return judged[0], judged[1]


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
    _check_share(beyond)
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
        gate.read_limit.fill_(float(torch.quantile(combined, 1 - READ_BEYOND)))
    return float(gate.limit)


def fit_learnt(model, digit_images, non_digit_images, held_out_images, beyond: float = LEARNT_BEYOND,
               epochs: int = 30, seed: int = 0, fits: int = LEARNT_FITS) -> float:
    """Fit the learnt part of ``model.typicality``: a linear score over the tapped features,
    class-balanced logistic regression of ``non_digit_images`` against ``digit_images``
    (features standardised on the digits, the scaling then folded into the weights),
    averaged over ``fits`` runs from seeds ``seed``, ``seed + 1``, ..., its limit set so
    that ``beyond`` of ``held_out_images`` lie above it. Images are (N, 1, 28, 28) in [0, 1].
    Returns the share of ``non_digit_images`` beyond the limit."""
    _check_share(beyond)
    if fits < 1:
        raise ValueError(f"fits is how many runs the learnt score averages, at least 1, not {fits}")
    gate = model.typicality
    positives = [torch.from_numpy(t).float() for t in _taps(model, digit_images)]
    negatives = [torch.from_numpy(t).float() for t in _taps(model, non_digit_images)]
    mean = torch.cat(positives, 1).mean(0)
    spread = torch.cat(positives, 1).std(0) + 1e-3
    x = (torch.cat([torch.cat(positives, 1), torch.cat(negatives, 1)]) - mean) / spread
    weights, biases = _logistic_regressions(x, len(positives[0]), epochs, range(seed, seed + fits))
    weights, bias = weights.mean(0), biases.mean()                      # a mean of linear scores is one
    with torch.no_grad():
        w = weights / spread                                            # on the raw features
        for i, part in enumerate(w.split([t.shape[1] for t in positives])):
            getattr(gate, f"learnt{i}").copy_(part)
        gate.learnt_bias.fill_(float(bias - (mean * w).sum()))
        held = gate.learnt_score([torch.from_numpy(t).float() for t in _taps(model, held_out_images)])
        limit, read_limit = torch.quantile(held, 1 - beyond), torch.quantile(held, 1 - READ_LEARNT_BEYOND)
        gate.learnt_bias.sub_(limit)
        gate.read_shift.fill_(float(limit - read_limit))
        return float((gate.learnt_score(negatives) > 0).float().mean())


def _logistic_regressions(x: torch.Tensor, n_zero: int, epochs: int, seeds) -> tuple[torch.Tensor, torch.Tensor]:
    """(weights (fits, d), biases (fits,)) of linear scores telling the rows of ``x`` after the
    first ``n_zero`` (label 1) from those (label 0), each label weighted to half the loss; Adam,
    batches of 256. One fit per seed (its own start and order of batches), all run side by side:
    the same as fitting them one after another, in one pass of batched products."""
    n_last = len(x) - n_zero
    y = torch.cat([torch.zeros(n_zero), torch.ones(n_last)])
    weight = torch.cat([torch.full((n_zero,), len(y) / (2 * n_zero)), torch.full((n_last,), len(y) / (2 * n_last))])
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    w = torch.stack([torch.randn(x.shape[1], generator=g) * 0.01 for g in generators]).requires_grad_()
    b = torch.zeros(len(generators), requires_grad=True)
    optimizer = torch.optim.Adam([w, b], 1e-3, weight_decay=1e-4)
    for _ in range(epochs):
        orders = torch.stack([torch.randperm(len(y), generator=g) for g in generators])
        for start in range(0, len(y), 256):
            i = orders[:, start:start + 256]                                    # (fits, batch)
            logits = torch.einsum("kbd,kd->kb", x[i], w) + b[:, None]
            losses = nn.functional.binary_cross_entropy_with_logits(logits, y[i], weight=weight[i], reduction="none")
            optimizer.zero_grad()
            losses.mean(1).sum().backward()                                     # each fit its own mean loss
            optimizer.step()
    return w.detach(), b.detach()


def _check_share(beyond: float) -> None:
    if not 0 < beyond < 0.5:
        raise ValueError(f"beyond is the share of held-out digits above the limit, in (0, 0.5), not {beyond}")
