"""Non-digits for outlier exposure, and what training with them does."""
from dataclasses import replace

import numpy as np
import torch

import digits
from digits.outliers import KINDS, curve, non_digits, overlay, touching


def _training_arrays(mnist_train, n=2000):
    images, labels = mnist_train
    return images[:n, 0].numpy(), labels[:n].numpy()


def test_non_digits_are_framed_like_real_inputs(mnist_train):
    pool = non_digits(60, *_training_arrays(mnist_train), seed=1)
    assert pool.shape == (60, 28, 28) and pool.dtype == np.float32
    assert pool.min() >= 0 and pool.max() <= 1
    for picture in pool:
        rows, cols = np.nonzero(picture > 0.05)
        assert max(np.ptp(rows), np.ptp(cols)) <= 22           # fitted in the 20x20 box (soft edges)
        cy, cx = (np.indices(picture.shape) * picture).reshape(2, -1).sum(1) / picture.sum()
        assert abs(cy - 13.5) < 2 and abs(cx - 13.5) < 2      # centred by mass, as MNIST


def test_non_digits_depend_on_the_seed_only(mnist_train):
    arrays = _training_arrays(mnist_train)
    assert np.array_equal(non_digits(30, *arrays, seed=3), non_digits(30, *arrays, seed=3))
    assert not np.array_equal(non_digits(30, *arrays, seed=3), non_digits(30, *arrays, seed=4))


def test_an_overlay_holds_two_digits_of_different_classes():
    bar_down = np.zeros((28, 28), np.float32)
    bar_down[4:24, 13:15] = 1                                 # a "1"
    bar_across = np.zeros((28, 28), np.float32)
    bar_across[13:15, 4:24] = 1                               # something of another class
    digits_, labels = np.stack([bar_down] * 5 + [bar_across]), np.array([1] * 5 + [7])
    for seed in range(5):
        picture = overlay(digits_, labels, np.random.default_rng(seed))
        assert picture.sum() > bar_down.sum() + bar_across.sum() * 0.8   # both, whichever came first


def test_touching_digits_stand_side_by_side_with_no_gap_between():
    bar = np.zeros((28, 28), np.float32)
    bar[4:24, 10:18] = 1
    for seed in range(10):
        picture = touching(np.stack([bar] * 3), np.random.default_rng(seed))
        columns = np.nonzero(picture.any(0))[0]
        assert 12 <= len(columns) <= 16                        # two bars 8 px wide, overlapping 0-4 px...
        assert np.all(np.diff(columns) == 1)                   # ...with no empty column between them


def test_a_curve_is_one_smooth_stroke_across_most_of_its_picture():
    for seed in range(5):
        picture = curve(np.random.default_rng(seed))
        rows, cols = np.nonzero(picture > 0.5)
        assert max(np.ptp(rows), np.ptp(cols)) >= 0.6 * picture.shape[0]
        assert picture.mean() < 0.3                             # a stroke, not a blot


def test_every_kind_of_non_digit_takes_its_share(mnist_train):
    pool = non_digits(10 * len(KINDS), *_training_arrays(mnist_train), seed=5)
    assert all((pool[i::len(KINDS)].reshape(10, -1).max(1) > 0.5).all() for i in range(len(KINDS)))


def _confidence(model, images):
    with torch.no_grad():
        return model(digits.normalize(images)).softmax(1).max(1).values


def test_outlier_exposure_makes_a_cnn_unsure_of_non_digits(small_split, mnist_train):
    train, test = small_split
    recipe = replace(digits.CNN_FAST_RECIPE, epochs=3, batch_size=64, outlier_pool=1500)
    unseen = torch.from_numpy(non_digits(300, *_training_arrays(mnist_train), seed=99)).unsqueeze(1)
    plain, exposed = digits.models.fast_cnn(), digits.models.fast_cnn()
    exposed.load_state_dict(plain.state_dict())
    digits.fit(plain, train, recipe=replace(recipe, outliers=0.0), progress=False)
    digits.fit(exposed, train, recipe=replace(recipe, outliers=0.25), progress=False)
    assert _confidence(exposed, unseen).mean() < _confidence(plain, unseen).mean() - 0.15
    assert digits.evaluate(exposed, *test)["accuracy"] > 0.9


def test_an_outlier_share_outside_0_to_1_is_refused(small_split):
    import pytest
    with pytest.raises(ValueError, match="share of the batch"):
        digits.fit(digits.models.fast_cnn(), small_split[0],
                   recipe=replace(digits.CNN_FAST_RECIPE, epochs=1, outliers=1.5), progress=False)
