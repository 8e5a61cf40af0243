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
from torch import nn


class MLP(nn.Module):
    """The seed's fully connected net: 784 -> 128 -> 64 -> 10, ReLU, logits out."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):                      # x: (B, 1, 28, 28) or (B, 784), normalised
        x = x.flatten(1)                       # (B, 784)
        x = torch.relu(self.fc1(x))            # (B, 128)
        x = torch.relu(self.fc2(x))            # (B, 64)
        return self.fc3(x)                     # (B, 10) logits


def _conv_block(c_in, c_out):
    """3x3 convolution (same padding) -> batch norm -> ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class CNN(nn.Module):
    """A small VGG-style network sized for a CPU: one convolution at full resolution,
    two at half, one at quarter, then a global max pool and a linear head.

    ``widths`` are the channels of the three resolutions; the default is cnn.pth's.
    """

    def __init__(self, widths=(32, 64, 128)):
        super().__init__()
        c1, c2, c3 = widths
        self.features = nn.Sequential(
            _conv_block(1, c1), nn.MaxPool2d(2),                          # (B, c1, 14, 14)
            _conv_block(c1, c2), _conv_block(c2, c2), nn.MaxPool2d(2),    # (B, c2, 7, 7)
            _conv_block(c2, c3),                                          # (B, c3, 7, 7)
            nn.AdaptiveMaxPool2d(1), nn.Flatten(),                         # (B, c3)
        )
        self.head = nn.Linear(c3, 10)                                      # (B, 10) logits

    def forward(self, x):                      # x: (B, 1, 28, 28), normalised
        return self.head(self.features(x))

    @classmethod
    def from_state_dict(cls, state):
        """A CNN whose widths are read off the shapes of ``state``."""
        return cls(tuple(state[f"features.{i}.0.weight"].shape[0] for i in (0, 2, 5)))


CNN_FAST_WIDTHS = (16, 32, 64)   # the narrower CNN of `train --arch cnn --fast`

ARCHITECTURES = {"mlp": MLP, "cnn": CNN}


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, or not one of our models."""


def architecture_of(state_dict) -> str | None:
    """The name of the architecture whose parameter names match ``state_dict``."""
    keys = set(state_dict)
    for name, cls in ARCHITECTURES.items():
        if keys == set(cls().state_dict()):
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
    try:
        model = cls.from_state_dict(state) if hasattr(cls, "from_state_dict") else cls()
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
