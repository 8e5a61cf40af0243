"""digits.CNN, the committed cnn.pth, the CNN recipes and batch augmentation."""
from dataclasses import replace

import pytest
import torch

import digits
from conftest import ROOT


def test_cnn_maps_image_batches_to_ten_logits():
    assert digits.CNN()(torch.zeros(4, 1, 28, 28)).shape == (4, 10)
    assert digits.CNN((8, 16, 32))(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_committed_cnn_loads_through_load_model_and_holds_its_accuracy(mnist_test):
    """cnn.pth scores 99.65 %; the 99.7 % goal is not reached yet (see README)."""
    model = digits.load_model(ROOT / "cnn.pth")
    assert isinstance(model, digits.CNN) and not model.training
    assert digits.evaluate(model, *mnist_test)["accuracy"] >= 0.9965


def test_load_model_reads_the_cnn_widths_from_the_file(tmp_path):
    path = digits.save_model(digits.CNN((8, 16, 24)), tmp_path / "narrow.pth")
    model = digits.load_model(path)
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    assert model.head.in_features == 24


def test_load_model_names_the_architecture_it_found(tmp_path):
    path = digits.save_model(digits.CNN(), tmp_path / "c.pth")
    with pytest.raises(digits.CheckpointError, match="c.pth.*holds a cnn.*mlp was asked"):
        digits.load_model(path, arch="mlp")


def test_short_cnn_training_on_a_subset_raises_accuracy(small_split):
    train, test = small_split
    torch.manual_seed(0)
    model = digits.CNN((8, 16, 32), dropout=0.1)
    before = digits.evaluate(model, *test)["accuracy"]
    digits.fit(model, train, recipe=replace(digits.CNN_RECIPE, epochs=3, batch_size=64),
               progress=False)
    after = digits.evaluate(model, *test)["accuracy"]
    assert before < 0.3 and after > 0.85


def test_fast_recipe_runs_end_to_end_on_a_subset(small_split):
    train, test = small_split
    torch.manual_seed(0)
    model = digits.models.fast_cnn()
    history = digits.fit(model, train, test, replace(digits.CNN_FAST_RECIPE, batch_size=32),
                         progress=False)
    assert len(history) == digits.CNN_FAST_RECIPE.epochs and history[-1]["test_accuracy"] > 0.9
    assert all(p.is_contiguous() for p in model.parameters())   # saved in the ordinary layout
    assert all(p.dtype == torch.float32 for p in model.parameters())   # bfloat16 only inside the steps


class _OneOff(torch.nn.Module):
    """A teacher that is always wrong in the same way: it answers (digit + 1) mod 10."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def logits(self, x):
        return self.model.logits(x).roll(1, dims=1)


def test_a_student_taught_only_by_its_teacher_learns_the_teachers_answers(small_split):
    """Distillation really steers training: taught by a teacher that is wrong on purpose,
    with no weight on the labels, the student gives the teacher's (wrong) answers."""
    train, test = small_split
    teacher = _OneOff(digits.load_model(ROOT / "cnn.pth"))
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    torch.manual_seed(0)
    student = digits.CNN((8, 16, 32), dropout=0.1)
    digits.fit(student, train, recipe=replace(digits.CNN_FAST_RECIPE, epochs=3, batch_size=64, distill=1.0),
               progress=False, teacher=teacher)
    shifted = (test[1] + 1) % 10
    assert digits.evaluate(student, test[0], shifted)["accuracy"] > 0.8
    assert all(torch.equal(v, before[k]) for k, v in teacher.state_dict().items())


def test_distillation_weight_must_be_a_share(small_split):
    train, _ = small_split
    with pytest.raises(ValueError, match="distill"):
        digits.fit(digits.CNN((8, 16, 32)), train, recipe=replace(digits.CNN_FAST_RECIPE, distill=0.0),
                   progress=False, teacher=digits.load_model(ROOT / "cnn.pth"))


def test_augmentation_keeps_shape_range_and_labels(mnist_test):
    """Augmented digits stay in [0, 1] and the shipped CNN still reads almost all of them."""
    images, labels = mnist_test[0][:2000], mnist_test[1][:2000]
    g = torch.Generator().manual_seed(0)
    r = digits.CNN_RECIPE
    out = digits.random_affine(images, r.degrees, r.scale, r.translate, elastic=r.elastic, generator=g)
    out = digits.random_thickness(out, 0.3, generator=g)
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    assert not torch.allclose(out, images)
    cnn = digits.load_model(ROOT / "cnn.pth")
    assert digits.evaluate(cnn, out, labels)["accuracy"] > 0.97


def test_thickness_augmentation_thickens_some_strokes_and_thins_as_many():
    square = torch.zeros(400, 1, 28, 28)
    square[:, :, 10:18, 10:18] = 1
    out = digits.random_thickness(square, p=0.25, generator=torch.Generator().manual_seed(0))
    areas = (out > 0.5).sum((1, 2, 3))
    thicker, thinner, same = (areas > 64).sum(), (areas < 64).sum(), (areas == 64).sum()
    assert 70 < thicker < 130 and 70 < thinner < 130 and same > 150
    assert torch.equal(digits.random_thickness(square, p=0.0), square)


def test_flags_go_on_the_share_of_ones_asked_for_and_nothing_else(mnist_test):
    """A flag is ink added up and to the left of a 1's stem; other digits, and the labels, are untouched."""
    images, labels = mnist_test[0][:3000], mnist_test[1][:3000]
    out = digits.flag_ones(images, labels, p=0.5, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out[labels != 1], images[labels != 1])
    changed = (out - images).abs().sum((1, 2, 3)) > 1
    ones = (labels == 1).sum().item()
    assert 0.3 * ones < changed.sum().item() < 0.6 * ones      # half, less the 1s leaning too far right
    added = (out - images)[changed, 0]
    rows, cols = torch.arange(28.0)[:, None], torch.arange(28.0)[None, :]
    ink_rows = (added * rows).sum((1, 2)) / added.sum((1, 2))
    ink_cols = (added * cols).sum((1, 2)) / added.sum((1, 2))
    stem = images[changed, 0]
    stem_rows = (stem * rows).sum((1, 2)) / stem.sum((1, 2))
    top = (stem > 0.5).any(2).float().argmax(1)
    top_cols = torch.stack([(s[t] * cols[0]).sum() / s[t].sum() for s, t in zip(stem, top)])
    assert ((ink_rows < stem_rows) & (ink_cols < top_cols)).float().mean() > 0.95   # up, left of the top
    assert torch.equal(digits.flag_ones(images, labels, p=0.0), images)
    with pytest.raises(ValueError, match="share of 1s"):
        digits.flag_ones(images, labels, p=1.5)


def _one_epoch_weights(train, recipe):
    torch.manual_seed(0)
    model = digits.CNN((8, 16, 32), dropout=0.1)
    digits.fit(model, (train[0][:512], train[1][:512]), recipe=replace(recipe, epochs=1, batch_size=64),
               progress=False)
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_bfloat16_is_used_only_where_the_cpu_has_it(small_split, monkeypatch):
    """On a CPU without native bfloat16 the bf16 recipe trains exactly as in float32 (emulated
    bfloat16 would be slower); on one with it, the steps really run in bfloat16."""
    train, _ = small_split
    fp32 = _one_epoch_weights(train, replace(digits.CNN_FAST_RECIPE, bf16=False))
    if digits.train.native_bf16():
        assert not torch.equal(_one_epoch_weights(train, digits.CNN_FAST_RECIPE), fp32)
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        monkeypatch.setattr(torch.cpu, probe, lambda: False, raising=False)
    assert not digits.train.native_bf16()
    assert torch.equal(_one_epoch_weights(train, digits.CNN_FAST_RECIPE), fp32)
