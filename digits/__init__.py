"""digits: handwritten-digit recognition.

The public API: recognising real images (predict, read), the models, loading a
checkpoint, MNIST as tensors, training, calibration. Recognition runs on ONNX Runtime
or PyTorch; the names that need PyTorch (models, data, training) import it only when
first used, so ``import digits`` works in a serving install without torch.
"""
from importlib import import_module

from .predict import Prediction, predict
from .preprocess import ImageError, NoDigitError, TooLargeError, UnreadableError, preprocess
from .preprocess import stages as preprocess_stages
from .read import Reading, read
from .recipes import CNN_FAST_RECIPE, CNN_RECIPE, CNN_TUNE_RECIPE, MLP_FAST_RECIPE, MLP_RECIPE, Recipe
from .runtime import MEAN, STD, CheckpointError

_NEEDS_TORCH = {
    "DataNotFoundError": "data", "data_root": "data", "load_mnist": "data", "normalize": "data",
    "random_affine": "data", "random_thickness": "data", "flag_ones": "data", "split_validation": "data",
    "CNN": "models", "MLP": "models", "load_model": "models", "save_model": "models",
    "calibrate": "calibration", "calibrate_model": "calibration", "error_at_rejection": "calibration",
    "expected_calibration_error": "calibration",
    "evaluate": "train", "fit": "train",
}

__all__ = ["Prediction", "predict", "Reading", "read", "ImageError", "NoDigitError", "TooLargeError",
           "UnreadableError", "preprocess", "preprocess_stages", "MEAN", "STD", "CheckpointError", "Recipe",
           "MLP_RECIPE", "MLP_FAST_RECIPE", "CNN_RECIPE", "CNN_FAST_RECIPE", "CNN_TUNE_RECIPE", *_NEEDS_TORCH]


def __getattr__(name):
    """Import the torch-backed parts of the API on first use."""
    if name in _NEEDS_TORCH:
        try:
            value = getattr(import_module(f".{_NEEDS_TORCH[name]}", __name__), name)
        except ModuleNotFoundError as e:
            if e.name != "torch":
                raise
            raise ImportError(f"digits.{name} needs PyTorch, which is not installed here: "
                              "pip install torch torchvision (the serving install predicts "
                              "and reads without it)") from None
        globals()[name] = value
        return value
    if name in ("data", "models", "train", "calibration", "server", "batch", "synth", "export", "typicality"):
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'digits' has no attribute {name!r}")
