"""digits.predict: real images in, a Prediction per image out, through one batched forward pass."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .models import load_model
from .preprocess import preprocess

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("cnn.pth", "model.pth")      # most accurate first


@dataclass
class Prediction:
    """The model's answer for one image."""
    digit: int
    probability: float
    probabilities: list[float] = field(repr=False)


@lru_cache(maxsize=8)
def _cached(path: str):
    return load_model(path)


def default_model_path() -> Path:
    """The most accurate checkpoint shipped at the repository root."""
    for name in SHIPPED:
        if (REPO_ROOT / name).is_file():
            return REPO_ROOT / name
    raise FileNotFoundError(f"no shipped checkpoint ({', '.join(SHIPPED)}) in {REPO_ROOT}")


def resolve_model(model=None) -> torch.nn.Module:
    """A model from None (the best shipped one), a checkpoint path, or a module as is."""
    if isinstance(model, torch.nn.Module):
        return model.eval()
    return _cached(str(Path(model) if model is not None else default_model_path()))


def _as_list(images):
    single = (str, Path, bytes, bytearray, memoryview, np.ndarray, Image.Image)
    return [images] if isinstance(images, single) or hasattr(images, "read") else list(images)


@torch.no_grad()
def classify(batch: torch.Tensor, model=None) -> list[Prediction]:
    """Predictions for a batch of preprocessed (N, 1, 28, 28) tensors, in one forward pass."""
    probabilities = resolve_model(model)(batch).softmax(1)
    return [Prediction(int(p.argmax()), float(p.max()), p.tolist()) for p in probabilities]


def predict(images, model=None) -> list[Prediction]:
    """Recognise the digit in each image (a path, bytes, PIL image or numpy array, or a
    sequence of them). Raises ImageError / NoDigitError for input that holds no digit."""
    return classify(torch.stack([preprocess(image) for image in _as_list(images)]), model)
