"""digits: handwritten-digit recognition in PyTorch.

The public API: the models, loading a checkpoint, MNIST as tensors, training.
"""
from .data import (MEAN, STD, DataNotFoundError, data_root, load_mnist, normalize, random_affine,
                   random_thickness)
from .models import CNN, MLP, CheckpointError, load_model, save_model
from .train import CNN_FAST_RECIPE, CNN_RECIPE, MLP_FAST_RECIPE, MLP_RECIPE, Recipe, evaluate, fit

__all__ = [
    "MEAN", "STD", "DataNotFoundError", "data_root", "load_mnist", "normalize", "random_affine", "random_thickness",
    "CNN", "MLP", "CheckpointError", "load_model", "save_model",
    "CNN_FAST_RECIPE", "CNN_RECIPE", "MLP_FAST_RECIPE", "MLP_RECIPE", "Recipe", "evaluate", "fit",
]
