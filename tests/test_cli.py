"""python -m digits: train, evaluate, help, and clear errors."""
import subprocess
import sys

import digits
from conftest import ROOT


def run(*args, cwd=ROOT):
    """The CLI in a subprocess; the limit leaves room for a CNN epoch on a busy two-core machine
    (245 s seen beside one other job)."""
    return subprocess.run([sys.executable, "-m", "digits", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_help_explains_every_option():
    out = run("train", "--help").stdout
    for option in ("--arch", "--out", "--epochs", "--batch-size", "--max-lr", "--seed",
                   "--no-augment", "--fast", "--outliers", "--data", "--widths", "--device", "--init", "--flags"):
        assert option in out
    assert "checkpoint" in run("evaluate", "--help").stdout


def test_evaluate_prints_accuracy_and_per_class_accuracy():
    result = run("evaluate", "model.pth")
    assert result.returncode == 0, result.stderr
    assert "test accuracy 98." in result.stdout or "test accuracy 99." in result.stdout
    assert all(f"{d}: " in result.stdout for d in range(10))


def test_evaluate_a_bad_file_fails_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"\x00" * 100)
    result = run("evaluate", str(bad))
    assert result.returncode == 2
    assert "bad.pth" in result.stderr and "Traceback" not in result.stderr


def test_train_writes_a_loadable_checkpoint(tmp_path):
    out = tmp_path / "quick.pth"
    result = run("train", "--epochs", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "saved" in result.stdout and "calibrated on 5,000 held-out training images" in result.stdout
    model = digits.load_model(out)
    assert isinstance(model, digits.MLP) and float(model.temperature) != 1.0


def test_train_refuses_bad_widths_and_a_missing_gpu_clearly():
    for args in (("--arch", "cnn", "--widths", "32,64"), ("--arch", "cnn", "--widths", "a,b,c"),
                 ("--arch", "cnn", "--widths", "0,64,128")):
        result = run("train", *args)
        assert result.returncode == 2 and "three positive channel counts" in result.stderr
    result = run("train", "--widths", "8,8,8")          # the mlp has no widths
    assert result.returncode != 0 and "--widths is for --arch cnn" in result.stderr
    import torch
    if not torch.cuda.is_available():
        result = run("train", "--device", "cuda", "--epochs", "1")
        assert result.returncode != 0 and "no CUDA GPU" in result.stderr and "Traceback" not in result.stderr


def test_train_builds_a_cnn_of_the_widths_asked_for(tmp_path):
    import torch
    out = tmp_path / "narrow.pth"
    result = run("train", "--arch", "cnn", "--widths", "4,8,8", "--epochs", "1", "--batch-size", "512",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    model = digits.load_model(out)
    assert isinstance(model, digits.CNN)
    assert [m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv2d)] == [4, 4, 4, 8, 8, 8, 8]


def test_train_fine_tunes_a_trained_cnn_from_its_weights(tmp_path):
    """--init starts from a checkpoint (its widths kept, its weights moved on), not from random weights."""
    import torch
    base, tuned = tmp_path / "base.pth", tmp_path / "tuned.pth"
    assert run("train", "--arch", "cnn", "--widths", "4,8,8", "--epochs", "1", "--batch-size", "512",
               "--out", str(base)).returncode == 0
    result = run("train", "--arch", "cnn", "--init", str(base), "--epochs", "1", "--batch-size", "512",
                 "--out", str(tuned))
    assert result.returncode == 0, result.stderr
    assert f"starting from {base}" in result.stdout and "flags=0.5" in result.stdout
    before, after = digits.load_model(base), digits.load_model(tuned)
    assert [m.out_channels for m in after.modules() if isinstance(m, torch.nn.Conv2d)] == [4, 4, 4, 8, 8, 8, 8]
    moved = [(a - b).abs().max().item() for a, b in zip(after.parameters(), before.parameters())]
    assert max(moved) > 0
    result = run("train", "--arch", "cnn", "--init", "model.pth")        # an MLP checkpoint
    assert result.returncode != 0 and "holds a mlp model" in result.stderr and "Traceback" not in result.stderr
    result = run("train", "--init", "cnn.pth")                           # --arch mlp
    assert result.returncode != 0 and "--init fine-tunes a trained cnn" in result.stderr
