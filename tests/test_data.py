"""MNIST loading, the shared normalisation, and batch augmentation."""
import hashlib

import pytest
import torch

import digits

OFFICIAL_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


def test_normalisation_constants_are_mnists():
    assert digits.MEAN == 0.1307 and digits.STD == 0.3081
    assert digits.normalize(torch.tensor([0.1307])).item() == pytest.approx(0.0)
    assert digits.normalize(torch.tensor([0.1307 + 0.3081])).item() == pytest.approx(1.0)


def test_raw_files_are_the_official_ones():
    raw = digits.data_root() / "MNIST" / "raw"
    for name, md5 in OFFICIAL_MD5.items():
        assert hashlib.md5((raw / name).read_bytes()).hexdigest() == md5, name


def test_mnist_splits_are_60000_and_10000_images_in_unit_range(mnist_train, mnist_test):
    for (images, labels), n in ((mnist_train, 60_000), (mnist_test, 10_000)):
        assert images.shape == (n, 1, 28, 28) and images.dtype == torch.float32
        assert labels.shape == (n,) and set(labels.tolist()) == set(range(10))
        assert images.min() == 0 and images.max() == 1


def test_data_root_comes_from_argument_then_env_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITS_DATA", str(tmp_path))
    assert digits.data_root("elsewhere").name == "elsewhere"
    assert digits.data_root() == tmp_path
    monkeypatch.delenv("DIGITS_DATA")
    assert str(digits.data_root()) == "data"


def test_missing_data_says_where_it_looked_and_how_to_fix_it(tmp_path):
    with pytest.raises(digits.DataNotFoundError) as err:
        digits.load_mnist(root=tmp_path, download=False)
    message = str(err.value)
    assert str(tmp_path) in message and "DIGITS_DATA" in message and "MNIST/raw" in message


def test_augmentation_keeps_shape_range_and_moves_pixels(mnist_test):
    images = mnist_test[0][:64]
    out = digits.random_affine(images, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    assert out.min() >= 0 and out.max() <= 1
    assert not torch.allclose(out, images)
    # Most ink survives: digits are moved, not cut away.
    assert out.sum() / images.sum() == pytest.approx(1.0, abs=0.15)


def test_augmentation_with_zero_strength_is_the_identity(mnist_test):
    images = mnist_test[0][:8]
    out = digits.random_affine(images, degrees=0, scale=(1, 1), translate=0)
    assert torch.allclose(out, images, atol=1e-5)
