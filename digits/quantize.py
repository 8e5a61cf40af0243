"""An int8 export of the CNN: its convolutions in 8-bit integers for ONNX Runtime.

On a CPU with integer dot-product instructions this runs batches about twice as fast as the
float export, with the same answers and the same confidence check (the check, the
temperature and the typicality limits stay in float, read off the checkpoint). Static
quantization: weights per channel, activation ranges measured on training digits as given,
as preprocessing frames them, and on non-digits, the inputs the network meets.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch

from .export import export_onnx
from .models import CNN, load_model

RANGE_SAMPLE = 1000       # images whose activations set the int8 ranges


def require_cnn(model, name) -> None:
    """Refuse anything but a CNN (ValueError naming ``name``): int8 pays for convolutions."""
    if not isinstance(model, CNN):
        raise ValueError(f"{name}: int8 pays for a CNN's convolutions, and this is not a CNN ({type(model).__name__})")


def range_images(train_images: torch.Tensor, train_labels: torch.Tensor, seed: int = 0) -> np.ndarray:
    """(RANGE_SAMPLE, 1, 28, 28) in [0, 1]: training digits as given (half) and framed (a
    quarter), and non-digits (a quarter): what the int8 ranges must cover."""
    from .calibration import _as_framed
    from .outliers import non_digits
    pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(seed))[:RANGE_SAMPLE // 2]
    quarter = RANGE_SAMPLE // 4
    outliers = non_digits(quarter, train_images[:5000, 0].numpy(), train_labels[:5000].numpy(), seed=seed)
    return np.concatenate([train_images[pick].numpy(), _as_framed(train_images[pick[:quarter]]).numpy(),
                           outliers[:, None]]).astype(np.float32)


def _quantize_onnx(source: Path, out: Path, images: np.ndarray) -> None:
    """Static int8 quantization of every convolution and ReLU of ``source`` (QDQ; weights per
    channel in 7 bits, so CPUs without integer dot products cannot overflow their 16-bit
    sums: measured here, no answer lost and faster); activation ranges from ``images``."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(images[i:i + 100] for i in range(0, len(images), 100))

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {"images": batch}

    prepared = out.with_name(out.name + ".pre.onnx")
    quant_pre_process(str(source), str(prepared))
    quantize_static(str(prepared), str(out), Batches(), quant_format=QuantFormat.QDQ, per_channel=True,
                    op_types_to_quantize=["Conv", "Relu"], weight_type=QuantType.QInt8,
                    activation_type=QuantType.QUInt8, reduce_range=True)


def quantize_checkpoint(checkpoint, train, out=None, seed: int = 0) -> Path:
    """Write ``checkpoint`` (a CNN .pth of ours) as an int8 ONNX model (default: beside it,
    ``.int8.onnx``); ``train`` is (images, labels) of the training split, for the ranges.
    Written in a temp folder, then renamed into place."""
    checkpoint = Path(checkpoint)
    require_cnn(load_model(checkpoint), checkpoint)
    out = Path(out) if out is not None else checkpoint.with_suffix(".int8.onnx")
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        tmp = Path(tmp)
        export_onnx(checkpoint, tmp / "float.onnx")
        _quantize_onnx(tmp / "float.onnx", tmp / "int8.onnx", range_images(*train, seed=seed))
        graph = onnx.load(tmp / "int8.onnx")
        described = {p.key: p.value for p in onnx.load(tmp / "float.onnx").metadata_props}
        described["quantized"] = ("convolutions in int8 (static, per-channel 7-bit weights); "
                                  "the typicality check and temperature in float, as in the checkpoint")
        del graph.metadata_props[:]
        for key, value in described.items():
            graph.metadata_props.add(key=key, value=value)
        onnx.save(graph, tmp / "final.onnx")
        os.chmod(tmp / "final.onnx", 0o644)
        os.replace(tmp / "final.onnx", out)
    return out
