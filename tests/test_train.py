"""fit() and evaluate() on real MNIST subsets."""
from dataclasses import replace

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
