"""Confidence you can act on: temperature scaling and the measures that judge it.

``calibrate`` fits one temperature per model on held-out images (never the test set)
and stores it in the model, so saved checkpoints carry it; ``calibrate_model`` first fits
the typicality check (digits.typicality) too. ``expected_calibration_error`` and
``error_at_rejection`` are what the confidence benchmark reports.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .train import logits_of
from .typicality import BEYOND, fit_typicality

TYPICALITY_SAMPLE = 20_000     # training digits the typicality check is fitted on


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature T that minimises the cross-entropy of softmax(logits / T)."""
    log_t = torch.zeros((), requires_grad=True)              # optimise log T: T stays positive
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=100, line_search_fn="strong_wolfe")

    def loss():
        optimizer.zero_grad()
        value = F.cross_entropy(logits / log_t.exp(), labels)
        value.backward()
        return value

    optimizer.step(loss)
    return float(log_t.detach().exp())


def calibrate(model, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fit ``model``'s temperature on held-out ``images`` in [0, 1]; set it and return it."""
    with torch.no_grad():
        model.temperature.fill_(1.0)
    temperature = fit_temperature(logits_of(model, images), labels)
    with torch.no_grad():
        model.temperature.fill_(temperature)
    return temperature


def _as_framed(images: torch.Tensor) -> torch.Tensor:
    """The images as they look after preprocessing (digits.preprocess.frame): how real
    inputs reach the model."""
    from .preprocess import frame
    return torch.from_numpy(np.stack([frame(a) for a in images[:, 0].numpy()])).unsqueeze(1)


def calibrate_model(model, train, validation, beyond: float = BEYOND, seed: int = 0) -> dict:
    """Fit ``model``'s typicality check and then its temperature, in place.

    The check learns the training digits' features (a sample of ``train``, as given and as
    preprocessing frames them); its limit and the temperature come from ``validation``,
    digits the model did not train on (also as given and framed). Returns both figures.
    """
    images, labels = train
    pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:TYPICALITY_SAMPLE]
    images, labels = images[pick], labels[pick]
    half = len(images) // 2
    fit_images = torch.cat([images, _as_framed(images[:half])])
    fit_labels = torch.cat([labels, labels[:half]])
    held_out = torch.cat([validation[0], _as_framed(validation[0])])
    limit = fit_typicality(model, fit_images, fit_labels.numpy(), held_out, beyond)
    temperature = calibrate(model, *validation)
    return {"temperature": temperature, "typicality_limit": limit}


def expected_calibration_error(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    """ECE: the mean gap between confidence and accuracy over equal-width confidence bins,
    weighted by how many predictions fall in each."""
    confidence, accuracy, counts = reliability(probabilities, labels, bins)
    weights = counts / counts.sum()
    return float((weights * (confidence - accuracy).abs()).nansum())


def reliability(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = 15):
    """Per confidence bin: mean confidence, accuracy and count (NaN where a bin is empty)."""
    confidence, predicted = probabilities.max(1)
    correct = (predicted == labels).float()
    which = torch.clamp((confidence * bins).ceil().long() - 1, 0, bins - 1)
    counts = torch.bincount(which, minlength=bins).float()
    mean = lambda values: torch.bincount(which, values, minlength=bins) / counts
    return mean(confidence), mean(correct), counts


def error_at_rejection(confidence: torch.Tensor, correct: torch.Tensor, rate: float) -> tuple[float, float]:
    """Reject the least confident ``rate`` share; returns (error among the accepted, the
    confidence threshold that does it)."""
    order = confidence.argsort(descending=True)
    kept = order[:len(order) - int(round(rate * len(order)))]
    threshold = float(confidence[kept[-1]]) if len(kept) else 1.0
    return 1.0 - float(correct[kept].float().mean()), threshold
