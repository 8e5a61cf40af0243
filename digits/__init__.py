"""digits: handwritten-digit recognition in PyTorch.

The public API: the models, loading a checkpoint, MNIST as tensors, training.
"""
from .data import MEAN, STD, DataNotFoundError, data_root, load_mnist, normalize, random_affine
from .models import MLP, CheckpointError, load_model, save_model
from .train import MLP_RECIPE, Recipe, evaluate, fit

__all__ = [
    "MEAN", "STD", "DataNotFoundError", "data_root", "load_mnist", "normalize", "random_affine",
    "MLP", "CheckpointError", "load_model", "save_model",
    "MLP_RECIPE", "Recipe", "evaluate", "fit",
]
