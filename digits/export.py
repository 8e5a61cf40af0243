"""ONNX export: one of our checkpoints -> a .onnx file that ONNX Runtime runs without PyTorch.

The exported graph takes MNIST-style images in [0, 1] (N, 1, 28, 28; any N) and returns
calibrated logits and each image's atypicality (digits.typicality): the normalisation,
the checkpoint's temperature and its typicality check are inside it.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

from .models import load_model
from .runtime import MEAN, STD

OPSET = 17


class ForInference(nn.Module):
    """A model as it is used for inference: normalise, then the eval-mode (calibrated) net."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model.eval()

    def forward(self, images):                 # (N, 1, 28, 28) in [0, 1]
        return self.model.judge_all((images - MEAN) / STD)


def export_onnx(checkpoint, out=None) -> Path:
    """Export ``checkpoint`` (a .pth of ours) to ``out`` (default: beside it, .onnx);
    written to a temp file, then renamed into place."""
    checkpoint = Path(checkpoint)
    model = load_model(checkpoint)
    out = Path(out) if out is not None else checkpoint.with_suffix(".onnx")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings():     # the TorchScript exporter: exact for these plain nets
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(ForInference(model), (torch.zeros(1, 1, 28, 28),), tmp, dynamo=False,
                              input_names=["images"], output_names=["logits", "atypicality", "reading_atypicality"],
                              opset_version=OPSET, dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"},
                                                                 "atypicality": {0: "batch"},
                                                                 "reading_atypicality": {0: "batch"}})
        graph = onnx.load(tmp)
        for key, value in {"architecture": type(model).__name__, "source": checkpoint.name,
                           "input": "MNIST-style images in [0, 1], ink bright, (N, 1, 28, 28)",
                           "output": "calibrated logits (softmax gives probabilities); atypicality "
                                     "(above 1: unlike the training digits); the same by read's own limits",
                           "temperature": f"{float(model.temperature):.6f}"}.items():
            graph.metadata_props.add(key=key, value=value)
        onnx.save(graph, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
