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
from .typicality import BEYOND, fit_learnt, fit_typicality

TYPICALITY_SAMPLE = 20_000     # training digits the typicality check is fitted on
PHOTOGRAPHED_SAMPLE = 3_000    # ...and training digits photographed (digits.synth) then preprocessed
NON_DIGIT_SAMPLE = 30_000      # non-digits (digits.outliers) its learnt part is taught to flag


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


def _photographed(images: torch.Tensor, seed: int) -> torch.Tensor:
    """The images as a phone photo of them looks after preprocessing (digits.synth.render,
    then digits.preprocess): thicker, softer strokes than MNIST's."""
    from .preprocess import NoDigitError, to_mnist
    from .synth import render
    rng = np.random.default_rng(seed)
    out = []
    for digit in images[:, 0].numpy():
        try:
            out.append(to_mnist(render(digit, rng)))
        except NoDigitError:                     # rendered too faint to find: nothing to learn from
            pass
    return torch.from_numpy(np.stack(out)).unsqueeze(1) if out else torch.zeros(0, 1, 28, 28)


def calibrate_model(model, train, validation, beyond: float = BEYOND, seed: int = 0) -> dict:
    """Fit ``model``'s typicality check and then its temperature, in place.

    The check learns the training digits' features (a sample of ``train``, as given and as
    preprocessing frames them); its learnt part is taught to tell those digits, and some
    photographed, from non-digits drawn from other training digits (digits.outliers); the
    limits and the temperature come from ``validation``, digits the model did not train on
    (also as given and framed). Returns the temperature, the check's limit and the share
    of the non-digits its learnt part flags.
    """
    from .outliers import non_digits
    images, labels = train
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    pick, others = order[:TYPICALITY_SAMPLE], order[TYPICALITY_SAMPLE:TYPICALITY_SAMPLE + PHOTOGRAPHED_SAMPLE]
    half = len(pick) // 2
    fit_images = torch.cat([images[pick], _as_framed(images[pick[:half]])])
    fit_labels = torch.cat([labels[pick], labels[pick[:half]]])
    held_out = torch.cat([validation[0], _as_framed(validation[0])])
    limit = fit_typicality(model, fit_images, fit_labels.numpy(), held_out, beyond)
    digit_images = torch.cat([fit_images, _photographed(images[others], seed)])
    outliers = non_digits(NON_DIGIT_SAMPLE, images[:, 0].numpy(), labels.numpy(), seed=seed)
    flagged = fit_learnt(model, digit_images, torch.from_numpy(outliers).unsqueeze(1), held_out, seed=seed)
    temperature = calibrate(model, *validation)
    return {"temperature": temperature, "typicality_limit": limit, "non_digits_flagged": flagged}


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
