"""fit() and evaluate() on real MNIST subsets."""
from dataclasses import replace

import pytest
import torch

import digits

QUICK = replace(digits.MLP_RECIPE, epochs=3, batch_size=64)


def test_short_training_raises_accuracy(small_split):
    train, test = small_split
    model = digits.MLP()
    before = digits.evaluate(model, *test)["accuracy"]
    history = digits.fit(model, train, test, QUICK, progress=False)
    after = digits.evaluate(model, *test)["accuracy"]
    assert before < 0.3 and after > 0.85
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["test_accuracy"] == after
    assert history[-1]["loss"] < history[0]["loss"]


def test_training_is_reproducible_with_a_seed(small_split):
    train, _ = small_split
    recipe = replace(QUICK, epochs=1)
    torch.manual_seed(0)
    a = digits.MLP()
    torch.rand(100)                  # whatever ran before fit() must not matter
    digits.fit(a, train, recipe=recipe, progress=False)
    torch.manual_seed(0)
    b = digits.MLP()
    digits.fit(b, train, recipe=recipe, progress=False)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_evaluate_reports_accuracy_per_class_and_confusion(mnist_test):
    images, labels = mnist_test
    model = digits.load_model(digits.__path__[0] + "/../model.pth")
    result = digits.evaluate(model, images, labels)
    confusion = result["confusion"]
    assert confusion.shape == (10, 10) and confusion.sum() == 10_000
    assert torch.equal(confusion.sum(1), torch.bincount(labels, minlength=10))
    assert result["accuracy"] == confusion.diag().sum().item() / 10_000
    for digit, acc in enumerate(result["per_class"]):
        assert acc == confusion[digit, digit].item() / confusion[digit].sum().item()


def test_moving_average_ends_with_averaged_weights_that_still_classify(small_split):
    train, test = small_split
    plain, averaged = digits.MLP(), digits.MLP()
    averaged.load_state_dict(plain.state_dict())
    digits.fit(plain, train, recipe=QUICK, progress=False)
    history = digits.fit(averaged, train, test, replace(QUICK, ema=0.9), progress=False)
    assert not torch.equal(plain.fc1.weight, averaged.fc1.weight)     # not the last weights...
    after = digits.evaluate(averaged, *test)["accuracy"]
    assert after > 0.85 and history[-1]["test_accuracy"] == after      # ...but their average


def test_moving_average_decay_must_lie_between_0_and_1(small_split):
    train, _ = small_split
    with pytest.raises(ValueError, match="ema"):
        digits.fit(digits.MLP(), train, recipe=replace(QUICK, ema=1.5), progress=False)
