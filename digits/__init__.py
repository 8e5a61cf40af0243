"""digits: handwritten-digit recognition in PyTorch.

The public API: recognising real images, the models, loading a checkpoint, MNIST as
tensors, training.
"""
from .data import (MEAN, STD, DataNotFoundError, data_root, load_mnist, normalize, random_affine,
                   random_thickness)
from .predict import Prediction, predict
from .read import Reading, read
from .preprocess import ImageError, NoDigitError, TooLargeError, preprocess
from .preprocess import stages as preprocess_stages
from .models import CNN, MLP, CheckpointError, load_model, save_model
from .train import CNN_FAST_RECIPE, CNN_RECIPE, MLP_FAST_RECIPE, MLP_RECIPE, Recipe, evaluate, fit

__all__ = [
    "MEAN", "STD", "DataNotFoundError", "data_root", "load_mnist", "normalize", "random_affine", "random_thickness",
    "Prediction", "predict", "Reading", "read", "ImageError", "NoDigitError", "TooLargeError", "preprocess", "preprocess_stages",
    "CNN", "MLP", "CheckpointError", "load_model", "save_model",
    "CNN_FAST_RECIPE", "CNN_RECIPE", "MLP_FAST_RECIPE", "MLP_RECIPE", "Recipe", "evaluate", "fit",
]
