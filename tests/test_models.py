"""digits.MLP, the committed model.pth, and load_model / save_model."""
import torch

import digits
import pytest
from conftest import ROOT


def test_mlp_is_784_128_64_10_with_109386_parameters():
    model = digits.MLP()
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(784, 128), (128, 64), (64, 10)]
    assert sum(p.numel() for p in model.parameters()) == 109_386


def test_mlp_maps_image_batches_and_flat_vectors_to_ten_logits():
    model = digits.MLP()
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert model(torch.zeros(3, 784)).shape == (3, 10)


def test_seed_snippet_loads_committed_model_and_it_scores_at_least_98_5(mnist_test):
    model = digits.MLP()
    model.load_state_dict(torch.load(ROOT / "model.pth"))
    model.eval()
    assert digits.evaluate(model, *mnist_test)["accuracy"] >= 0.985


def test_load_model_returns_the_mlp_in_eval_mode():
    model = digits.load_model(ROOT / "model.pth")
    assert isinstance(model, digits.MLP) and not model.training


def test_load_model_names_a_missing_file(tmp_path):
    with pytest.raises(digits.CheckpointError, match="nothere.pth.*no such"):
        digits.load_model(tmp_path / "nothere.pth")


def test_load_model_rejects_a_truncated_file(tmp_path):
    path = tmp_path / "cut.pth"
    data = (ROOT / "model.pth").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(digits.CheckpointError, match="cut.pth.*not a readable"):
        digits.load_model(path)


def test_load_model_rejects_a_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("just some text")
    with pytest.raises(digits.CheckpointError, match="notes.pth"):
        digits.load_model(path)


def test_load_model_rejects_a_foreign_state_dict(tmp_path):
    path = tmp_path / "resnet.pth"
    torch.save({"conv1.weight": torch.zeros(3, 3)}, path)
    with pytest.raises(digits.CheckpointError, match="resnet.pth.*match none of our models"):
        digits.load_model(path)


def test_load_model_rejects_a_non_dict(tmp_path):
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(2)], path)
    with pytest.raises(digits.CheckpointError, match="list.pth.*not a model state_dict"):
        digits.load_model(path)


def test_load_model_rejects_mismatched_shapes(tmp_path):
    state = digits.MLP().state_dict()
    state["fc1.weight"] = torch.zeros(100, 784)
    path = tmp_path / "wide.pth"
    torch.save(state, path)
    with pytest.raises(digits.CheckpointError, match="wide.pth.*shapes do not fit"):
        digits.load_model(path)


def test_load_model_refuses_pickled_code(tmp_path):
    """weights_only=True: a checkpoint that would run code on load is refused."""
    path = tmp_path / "evil.pth"
    torch.save({"fc1.weight": torch.zeros(1), "payload": print}, path)
    with pytest.raises(digits.CheckpointError, match="evil.pth"):
        digits.load_model(path)


def test_save_model_round_trips_and_leaves_no_temp_files(tmp_path):
    model = digits.MLP()
    path = digits.save_model(model, tmp_path / "m.pth")
    assert [p.name for p in tmp_path.iterdir()] == ["m.pth"]
    loaded = digits.load_model(path)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                  loaded.state_dict().values()))


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = digits.save_model(digits.MLP(), tmp_path / "m.pth")
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        digits.save_model(digits.MLP(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pth"]


def test_saved_checkpoints_are_not_private(tmp_path):
    """The temp file is private while written; the checkpoint gets normal permissions."""
    path = digits.save_model(digits.MLP(), tmp_path / "m.pth")
    assert path.stat().st_mode & 0o044 == 0o044
