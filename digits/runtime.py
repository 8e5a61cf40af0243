"""Inference behind one call: images in [0, 1] in, calibrated probabilities (and how unlike
the training digits each image is) out.

A model is either a PyTorch checkpoint (``.pth``, or a module) or an exported ONNX file
(``.onnx``, run by ONNX Runtime without PyTorch). Nothing here imports torch until a
PyTorch model is asked for, so a serving install without torch can still predict.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

MEAN = 0.1307  # mean pixel of the MNIST training images, in [0, 1]
STD = 0.3081   # their standard deviation
REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("cnn", "model")      # the most accurate first: cnn.pth / cnn.onnx, then model.*


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, or not one of our models."""


def has(module: str) -> bool:
    """Whether ``module`` can be imported here (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(1, keepdims=True)


def as_batch(images) -> np.ndarray:
    """(N, 28, 28) or (N, 1, 28, 28) images in [0, 1] -> float32 (N, 1, 28, 28)."""
    batch = np.asarray(images, dtype=np.float32)
    if batch.ndim == 3:
        batch = batch[:, None]
    if batch.ndim != 4 or batch.shape[1:] != (1, 28, 28):
        raise ValueError(f"expected images of shape (N, 28, 28) or (N, 1, 28, 28), not {batch.shape}")
    return batch


class TorchRunner:
    """A PyTorch model (ours, in eval mode: calibration included)."""
    kind = "pytorch"

    def __init__(self, module, name="a PyTorch module"):
        self.module, self.name = module.eval(), name
        self.architecture = type(module).__name__
        self.temperature = float(getattr(module, "temperature", 1.0))

    def probabilities(self, images) -> np.ndarray:
        return self.judge(images)[0]

    def judge(self, images, reading: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (N, 10), atypicality (N,), by read's own limits when ``reading``;
        0 for a module without the check)."""
        import torch
        with torch.no_grad():
            x = (torch.from_numpy(as_batch(images)) - MEAN) / STD
            if hasattr(self.module, "judge"):
                logits, atypicality = self.module.judge(x, reading=reading)
                return logits.softmax(1).numpy(), atypicality.numpy()
            return self.module(x).softmax(1).numpy(), np.zeros(len(x), np.float32)


class OnnxRunner:
    """An exported model run by ONNX Runtime; its graph normalises and calibrates itself."""
    kind = "onnx"

    def __init__(self, path, threads: int = 1):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # ORT raises its own kinds for bad files
            raise CheckpointError(f"{path}: not a readable ONNX model ({type(e).__name__}: {e})") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or list(inputs[0].shape[1:]) != [1, 28, 28]:
            raise CheckpointError(f"{path}: not one of our models (expects {[i.shape for i in inputs]})")
        self.input = inputs[0].name
        meta = self.session.get_modelmeta().custom_metadata_map
        self.name, self.architecture = Path(path).name, meta.get("architecture", "unknown")
        self.temperature = float(meta.get("temperature", 1.0))

    def logits(self, images) -> np.ndarray:
        return self.session.run(None, {self.input: as_batch(images)})[0]

    def probabilities(self, images) -> np.ndarray:
        return self.judge(images)[0]

    def judge(self, images, reading: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (N, 10), atypicality (N,), by read's own limits when ``reading`` and
        the export has them; 0 for an export without the check)."""
        batch = as_batch(images)
        outputs = self.session.run(None, {self.input: batch})
        which = 2 if reading and len(outputs) > 2 else 1
        atypicality = outputs[which] if len(outputs) > which else np.zeros(len(batch), np.float32)
        return softmax(outputs[0].astype(np.float64)).astype(np.float32), atypicality


def default_model_path() -> Path:
    """The most accurate model shipped at the repository root: its ONNX export where ONNX
    Runtime is installed (faster, and no PyTorch needed), else its PyTorch checkpoint."""
    suffixes = (".onnx", ".pth") if has("onnxruntime") else (".pth",)
    if not has("torch"):
        suffixes = tuple(s for s in suffixes if s == ".onnx")
    for stem in SHIPPED:
        for suffix in suffixes:
            if (REPO_ROOT / f"{stem}{suffix}").is_file():
                return REPO_ROOT / f"{stem}{suffix}"
    raise FileNotFoundError(f"no shipped model ({', '.join(s + '.onnx/.pth' for s in SHIPPED)}) in {REPO_ROOT} "
                            "that this install can run (ONNX files need onnxruntime, .pth files need torch)")


@lru_cache(maxsize=8)
def _load(path: str):
    if path.endswith(".onnx"):
        if not has("onnxruntime"):
            raise CheckpointError(f"{path}: running an ONNX model needs onnxruntime (pip install onnxruntime)")
        if not Path(path).is_file():
            raise CheckpointError(f"{path}: no such model file")
        return OnnxRunner(path)
    if not has("torch"):
        raise CheckpointError(f"{path}: a PyTorch checkpoint needs torch (pip install torch), "
                              "or use its .onnx export")
    from .models import load_model
    return TorchRunner(load_model(path), Path(path).name)


def runner(model=None):
    """A runner from None (the best shipped model), a path (.onnx or .pth), a runner, or a
    PyTorch module."""
    if isinstance(model, (TorchRunner, OnnxRunner)):
        return model
    if model is None or isinstance(model, (str, Path)):
        return _load(str(Path(model) if model is not None else default_model_path()))
    return TorchRunner(model)
