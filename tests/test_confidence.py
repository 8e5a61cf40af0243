"""Calibrated probabilities and the reject option (digits.calibration, min_confidence)."""
import numpy as np
import pytest
import torch

import digits
from conftest import ROOT
from digits.predict import MIN_CONFIDENCE


@pytest.fixture(scope="module")
def briefly_trained(small_split):
    """A small CNN trained for one epoch on 3,000 images: over- or under-confident, as
    networks are before calibration."""
    train, _ = small_split
    torch.manual_seed(0)
    model = digits.CNN((8, 16, 32))
    digits.fit(model, train, recipe=digits.Recipe(epochs=1, batch_size=128, max_lr=3e-3), progress=False)
    return model


def test_calibration_changes_confidence_never_the_digit(briefly_trained, small_split):
    _, (images, labels) = small_split
    model = briefly_trained
    before = digits.train.logits_of(model, images).softmax(1)
    temperature = digits.calibrate(model, images[:1000], labels[:1000])
    after = digits.train.logits_of(model, images).softmax(1)
    assert temperature > 0 and abs(temperature - 1) > 0.01
    assert float(model.temperature) == pytest.approx(temperature)
    assert torch.equal(before.argmax(1), after.argmax(1))
    assert not torch.allclose(before.max(1).values, after.max(1).values)


def test_calibration_lowers_the_loss_it_was_fitted_on(briefly_trained, small_split):
    _, (images, labels) = small_split
    model = briefly_trained
    model.temperature.fill_(1.0)
    raw = torch.nn.functional.cross_entropy(digits.train.logits_of(model, images), labels)
    digits.calibrate(model, images, labels)
    calibrated = torch.nn.functional.cross_entropy(digits.train.logits_of(model, images), labels)
    assert calibrated < raw


def test_load_model_restores_the_temperature(briefly_trained, small_split, tmp_path):
    _, (images, labels) = small_split
    digits.calibrate(briefly_trained, images[:500], labels[:500])
    path = digits.save_model(briefly_trained, tmp_path / "calibrated.pth")
    reloaded = digits.load_model(path)
    assert float(reloaded.temperature) == pytest.approx(float(briefly_trained.temperature))
    assert torch.allclose(reloaded(digits.normalize(images[:50])),
                          briefly_trained.eval()(digits.normalize(images[:50])))


def test_a_checkpoint_from_before_calibration_loads_with_temperature_one(tmp_path):
    state = digits.MLP().state_dict()
    del state["temperature"]
    torch.save(state, tmp_path / "old.pth")
    assert float(digits.load_model(tmp_path / "old.pth").temperature) == 1.0


def test_a_bad_temperature_is_refused(tmp_path):
    state = digits.MLP().state_dict()
    state["temperature"] = torch.tensor(-1.0)
    torch.save(state, tmp_path / "negative.pth")
    with pytest.raises(digits.CheckpointError, match="temperature"):
        digits.load_model(tmp_path / "negative.pth")


@pytest.mark.parametrize("name", ["model.pth", "cnn.pth"])
def test_shipped_models_are_calibrated_on_mnist_test(name, mnist_test):
    """ECE <= 1 % on the test set, which the temperature was not fitted on."""
    model = digits.load_model(ROOT / name)
    assert float(model.temperature) != 1.0
    images, labels = mnist_test
    probabilities = digits.train.logits_of(model, images).softmax(1)
    assert digits.expected_calibration_error(probabilities, labels) <= 0.01


def test_expected_calibration_error_of_known_cases():
    labels = torch.tensor([0, 0, 0, 0])
    sure_right = torch.tensor([[0.99, 0.01]] * 4)
    assert digits.expected_calibration_error(sure_right, labels) == pytest.approx(0.01, abs=1e-6)
    sure_half_wrong = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]])
    assert digits.expected_calibration_error(sure_half_wrong, labels) == pytest.approx(0.4, abs=1e-6)


def test_error_at_rejection_drops_the_least_confident_first():
    confidence = torch.tensor([0.99, 0.98, 0.97, 0.6, 0.5])
    correct = torch.tensor([True, True, True, False, False])
    assert digits.error_at_rejection(confidence, correct, 0.0)[0] == pytest.approx(0.4)
    error, threshold = digits.error_at_rejection(confidence, correct, 0.4)
    assert error == 0.0 and threshold == pytest.approx(0.97)


def test_min_confidence_splits_accepted_from_unsure(mnist_test):
    images, _ = mnist_test
    pictures = [images[i, 0].numpy() for i in range(40)]
    predictions = digits.predict(pictures)
    threshold = float(np.median([p.probability for p in predictions]))
    marked = digits.predict(pictures, min_confidence=threshold)
    assert [p.accepted for p in marked] == [p.probability >= threshold and p.typical for p in predictions]
    assert 0 < sum(p.accepted for p in marked) < len(marked)
    assert all(p.accepted == (p.probability >= MIN_CONFIDENCE and p.typical)
               for p in predictions)


def test_min_confidence_must_be_a_probability(mnist_test):
    with pytest.raises(ValueError, match="between 0 and 1"):
        digits.predict(mnist_test[0][0, 0].numpy(), min_confidence=1.5)


def test_a_reading_names_its_doubtful_digits(mnist_test):
    from digits.synth import render_number
    images, labels = mnist_test
    picture = render_number([images[i, 0].numpy() for i in (3, 2, 1, 18)], np.random.default_rng(0))
    sure = digits.read(picture, min_confidence=0.0)
    assert len(sure.doubtful) <= 1            # at most an atypical digit (digits.typicality)
    assert sure.accepted == (sure.doubtful == [])
    assert sure.confidence == pytest.approx(np.prod([p for _, p, _ in sure.digits]))
    strict = digits.read(picture, min_confidence=1.0)
    assert not strict.accepted and strict.doubtful == [0, 1, 2, 3]
    assert strict.text == sure.text
    assert not digits.read(np.full((50, 120), 255, np.uint8)).accepted      # nothing read
