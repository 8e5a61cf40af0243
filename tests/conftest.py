"""Shared fixtures: real MNIST (from $DIGITS_DATA) and the repository root."""
from pathlib import Path

import pytest
import torch

import digits

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist_test():
    """The 10,000 MNIST test images in [0, 1] and their labels."""
    return digits.load_mnist(train=False)


@pytest.fixture(scope="session")
def mnist_train():
    return digits.load_mnist(train=True)


@pytest.fixture(scope="session")
def small_split(mnist_train, mnist_test):
    """A quick training subset (3,000) and evaluation subset (2,000), class-mixed."""
    g = torch.Generator().manual_seed(1)
    tr = torch.randperm(len(mnist_train[0]), generator=g)[:3000]
    te = torch.randperm(len(mnist_test[0]), generator=g)[:2000]
    return (mnist_train[0][tr], mnist_train[1][tr]), (mnist_test[0][te], mnist_test[1][te])
