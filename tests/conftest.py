"""Shared fixtures: real MNIST (from $DIGITS_DATA) and the repository root.

PyTorch is imported only by the fixtures that need it, so the server tests also run in
the serving install, which has no torch (they use ``mnist_test_arrays``).
"""
import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist_test():
    """The 10,000 MNIST test images in [0, 1] (torch, (N, 1, 28, 28)) and their labels."""
    import digits
    return digits.load_mnist(train=False)


@pytest.fixture(scope="session")
def mnist_train():
    import digits
    return digits.load_mnist(train=True)


@pytest.fixture(scope="session")
def mnist_test_arrays():
    """The MNIST test set as numpy, read straight from the official files (no torch):
    images uint8 (N, 28, 28), ink bright, and labels (N,)."""
    raw = Path(os.environ.get("DIGITS_DATA", "data")) / "MNIST" / "raw"
    images = np.fromfile(raw / "t10k-images-idx3-ubyte", np.uint8, offset=16).reshape(-1, 28, 28)
    labels = np.fromfile(raw / "t10k-labels-idx1-ubyte", np.uint8, offset=8).astype(np.int64)
    return images, labels


@pytest.fixture(scope="session")
def small_split(mnist_train, mnist_test):
    """A quick training subset (3,000) and evaluation subset (2,000), class-mixed."""
    import torch
    g = torch.Generator().manual_seed(1)
    tr = torch.randperm(len(mnist_train[0]), generator=g)[:3000]
    te = torch.randperm(len(mnist_test[0]), generator=g)[:2000]
    return (mnist_train[0][tr], mnist_train[1][tr]), (mnist_test[0][te], mnist_test[1][te])
