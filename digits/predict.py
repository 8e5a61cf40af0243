"""digits.predict: real images in, a Prediction per image out, through one batched forward pass."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .preprocess import to_mnist
from .runtime import default_model_path, runner  # noqa: F401  (default_model_path: public here too)

MIN_CONFIDENCE = 0.9    # default: calibrated probability below this is marked not accepted


@dataclass
class Prediction:
    """The model's answer for one image; ``accepted`` is False when it is unsure
    (probability below the ``min_confidence`` asked for) or the image is unlike any
    digit it was trained on (``typical`` False: digits.typicality): send those to a person."""
    digit: int
    probability: float
    probabilities: list[float] = field(repr=False)
    accepted: bool = True
    typical: bool = True


def resolve_model(model=None):
    """A ready model from None (the best shipped one), a path (.onnx or .pth), or a module."""
    return runner(model)


def _as_list(images):
    single = (str, Path, bytes, bytearray, memoryview, np.ndarray, Image.Image)
    return [images] if isinstance(images, single) or hasattr(images, "read") else list(images)


def threshold_of(min_confidence) -> float:
    """The confidence threshold asked for (None: MIN_CONFIDENCE), checked to lie in [0, 1]."""
    threshold = MIN_CONFIDENCE if min_confidence is None else float(min_confidence)
    if not 0 <= threshold <= 1:
        raise ValueError(f"min_confidence must lie between 0 and 1, not {min_confidence}")
    return threshold


def classify(images, model=None, min_confidence=None) -> list[Prediction]:
    """Predictions for MNIST-style images ((N, 28, 28) in [0, 1], ink bright, as to_mnist
    makes them), in one forward pass."""
    threshold = threshold_of(min_confidence)
    probabilities, atypicality = runner(model).judge(images)
    return [Prediction(int(p.argmax()), float(p.max()), p.tolist(),
                       accepted=bool(p.max() >= threshold and a <= 1), typical=bool(a <= 1))
            for p, a in zip(probabilities, atypicality)]


def predict(images, model=None, min_confidence=None) -> list[Prediction]:
    """Recognise the digit in each image (a path, bytes, PIL image or numpy array, or a
    sequence of them). Probabilities are calibrated; a prediction below ``min_confidence``
    (default MIN_CONFIDENCE) is marked ``accepted=False``. Raises ImageError /
    NoDigitError for input that holds no digit."""
    threshold = threshold_of(min_confidence)
    return classify(np.stack([to_mnist(image) for image in _as_list(images)]), model, threshold)
