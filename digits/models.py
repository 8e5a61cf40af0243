"""The networks, and loading/saving their checkpoints safely.

A checkpoint is a plain ``state_dict`` so the seed's promise holds:
``digits.MLP().load_state_dict(torch.load("model.pth"))``. Which class a file
belongs to is read from its keys and shapes, never from anything the file
claims about itself.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .runtime import CheckpointError
from .typicality import Typicality


class Classifier(nn.Module):
    """A digit classifier with a calibration temperature and a typicality check stored in
    its state_dict.

    In evaluation mode the logits are divided by ``temperature`` (1 until
    calibrated: see digits.calibration), so softmax gives calibrated probabilities;
    the predicted digit never changes. Training sees the raw logits. ``judge`` also
    says how unlike the training digits each image is (digits.typicality).
    Subclasses define ``taps(x) -> (logits, [inner features])``.
    """

    def __init__(self):
        super().__init__()
        self.register_buffer("temperature", torch.ones(()))

    def forward(self, x):
        logits = self.logits(x)
        return logits if self.training else logits / self.temperature

    def logits(self, x):
        return self.taps(x)[0]

    def judge(self, x, reading: bool = False):
        """(calibrated logits (N, 10), atypicality (N,): above 1 is unlike any training digit;
        by read's own limits when ``reading``)."""
        logits, atypicality, by_read = self.judge_all(x)
        return logits, by_read if reading else atypicality

    def judge_all(self, x):
        """(calibrated logits, atypicality, atypicality by read's limits)."""
        logits, features = self.taps(x)
        return (logits / self.temperature, *self.typicality.both(features))


class MLP(Classifier):
    """The seed's fully connected net: 784 -> 128 -> 64 -> 10, ReLU, logits out."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)
        self.typicality = Typicality((128, 64))

    def taps(self, x):                         # x: (B, 1, 28, 28) or (B, 784), normalised
        x = x.flatten(1)                       # (B, 784)
        h1 = torch.relu(self.fc1(x))           # (B, 128)
        h2 = torch.relu(self.fc2(h1))          # (B, 64)
        return self.fc3(h2), [h1, h2]          # (B, 10) logits


def _conv_block(c_in, c_out, kernel=3, stride=1, padding=0):
    """Convolution (no bias) -> batch norm -> ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class CNN(Classifier):
    """A compact all-convolutional network sized for a CPU.

    Two stages of two 3x3 convolutions followed by a strided 5x5 convolution
    (in place of max pooling), then a 4x4 convolution that sees the whole
    remaining map, dropout, and a linear head:
    28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4 -> 1. ``widths`` are the channels of the
    three stages; the default is cnn.pth's. Dropout is not stored in checkpoints.
    """

    def __init__(self, widths=(48, 96, 192), dropout=0.4):
        super().__init__()
        c1, c2, c3 = widths
        self.features = nn.Sequential(
            _conv_block(c_in=1, c_out=c1), _conv_block(c1, c1),                # (B, c1, 24, 24)
            _conv_block(c1, c1, 5, stride=2, padding=2), nn.Dropout(dropout),  # (B, c1, 12, 12)
            _conv_block(c1, c2), _conv_block(c2, c2),                          # (B, c2, 8, 8)
            _conv_block(c2, c2, 5, stride=2, padding=2), nn.Dropout(dropout),  # (B, c2, 4, 4)
            _conv_block(c2, c3, 4), nn.Flatten(), nn.Dropout(dropout),         # (B, c3)
        )
        self.head = nn.Linear(c3, 10)                                          # (B, 10) logits
        self.typicality = Typicality((4 * c1, 4 * c1, 4 * c2, 4 * c2, c3))

    def taps(self, x):                         # x: (B, 1, 28, 28), normalised
        f = self.features
        maps = [f[:2](x)]                                                      # (B, c1, 24, 24)
        maps.append(f[2:4](maps[-1]))                                          # (B, c1, 12, 12)
        maps.append(f[4:6](maps[-1]))                                          # (B, c2, 8, 8)
        maps.append(f[6:8](maps[-1]))                                          # (B, c2, 4, 4)
        last = f[8:](maps[-1])                                                 # (B, c3)
        pooled = [F.avg_pool2d(m, m.shape[-1] // 2).flatten(1) for m in maps]  # each averaged to 2x2
        return self.head(last), pooled + [last]

    @classmethod
    def from_state_dict(cls, state):
        """A CNN whose widths are read off the shapes of ``state``."""
        return cls(tuple(state[f"features.{i}.0.weight"].shape[0] for i in (0, 4, 8)))


CNN_FAST_WIDTHS = (16, 32, 64)   # the narrower CNN of `train --arch cnn --fast`...
CNN_FAST_DROPOUT = 0.1           # ...which trains 3 epochs: too short to need strong dropout


def fast_cnn(widths=CNN_FAST_WIDTHS) -> CNN:
    """The network of the --fast CNN recipe (its light dropout; narrow unless ``widths`` say otherwise)."""
    return CNN(widths, dropout=CNN_FAST_DROPOUT)

ARCHITECTURES = {"mlp": MLP, "cnn": CNN}


def architecture_of(state_dict) -> str | None:
    """The name of the architecture whose parameter names match ``state_dict``
    (a checkpoint saved before calibration or the typicality check existed lacks those
    buffers: still ours)."""
    for name, cls in ARCHITECTURES.items():
        expected = set(cls().state_dict())
        added = {"temperature"} | {k for k in expected if k.startswith("typicality.")}
        if set(state_dict) | added == expected:
            return name
    return None


def load_model(path, arch: str | None = None) -> nn.Module:
    """Load one of our checkpoints (weights only) and return the model in eval mode.

    Raises CheckpointError naming the file and what was wrong with it.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # the unpickler raises many kinds on garbage
        raise CheckpointError(
            f"{path}: not a readable PyTorch checkpoint (truncated, corrupt or a different format): {e}"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: holds a {type(state).__name__}, not a model state_dict")
    found = architecture_of(state)
    if found is None:
        sample = ", ".join(sorted(map(str, state))[:4])
        raise CheckpointError(
            f"{path}: its parameters ({sample}, ...) match none of our models "
            f"({', '.join(ARCHITECTURES)})"
        )
    if arch is not None and arch != found:
        raise CheckpointError(f"{path}: holds a {found} model, but a {arch} was asked for")
    cls = ARCHITECTURES[found]
    state.setdefault("temperature", torch.ones(()))
    if state["temperature"].shape != () or not float(state["temperature"]) > 0:
        raise CheckpointError(f"{path}: its temperature must be one positive number")
    try:
        model = cls.from_state_dict(state) if hasattr(cls, "from_state_dict") else cls()
        for key, unfitted in model.state_dict().items():
            if key.startswith("typicality."):
                state.setdefault(key, unfitted)
        model.load_state_dict(state)
    except (RuntimeError, ValueError, IndexError) as e:
        raise CheckpointError(f"{path}: parameter shapes do not fit a {found}: {e}") from None
    return model.eval()


def save_model(model: nn.Module, path) -> Path:
    """Save ``model``'s state_dict atomically: a temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(model.state_dict(), f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)        # mkstemp makes it private; a model is not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
