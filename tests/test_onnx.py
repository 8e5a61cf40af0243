"""ONNX export and inference without PyTorch."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import digits
from conftest import ROOT
from digits.export import export_onnx
from digits.runtime import OnnxRunner, TorchRunner, runner
from image_files import png


def logits_both_ways(checkpoint, onnx_file, images):
    onnx_logits = OnnxRunner(onnx_file).logits(images.numpy())
    with torch.no_grad():
        torch_logits = digits.load_model(checkpoint)(digits.normalize(images)).numpy()
    return torch_logits, onnx_logits


@pytest.mark.parametrize("name", ["model", "cnn"])
def test_export_round_trips(name, tmp_path, mnist_test):
    out = export_onnx(ROOT / f"{name}.pth", tmp_path / f"{name}.onnx")
    torch_logits, onnx_logits = logits_both_ways(ROOT / f"{name}.pth", out, mnist_test[0][:1000])
    assert np.abs(torch_logits - onnx_logits).max() < 1e-4
    runner = OnnxRunner(out)
    assert runner.architecture == {"model": "MLP", "cnn": "CNN"}[name]
    assert runner.probabilities(np.zeros((3, 28, 28), np.float32)).shape == (3, 10)    # any batch size


@pytest.mark.parametrize("name", ["model", "cnn"])
def test_committed_onnx_files_match_their_checkpoints(name, mnist_test):
    """Same answer on all of MNIST test, logits within 1e-4: re-export after retraining."""
    torch_logits, onnx_logits = logits_both_ways(ROOT / f"{name}.pth", ROOT / f"{name}.onnx", mnist_test[0])
    assert np.abs(torch_logits - onnx_logits).max() < 1e-4
    assert np.array_equal(torch_logits.argmax(1), onnx_logits.argmax(1))
    images = mnist_test[0][:2000].numpy()              # the same typicality check inside
    on_torch = TorchRunner(digits.load_model(ROOT / f"{name}.pth")).judge(images)[1]
    on_onnx = OnnxRunner(ROOT / f"{name}.onnx").judge(images)[1]
    assert np.allclose(on_torch, on_onnx, rtol=1e-3, atol=1e-3) and on_onnx.max() > 0


def test_predict_gives_the_same_answer_on_either_runtime(mnist_test):
    pictures = [(255 - mnist_test[0][i, 0].numpy() * 255).astype(np.uint8) for i in range(20)]
    on_torch = digits.predict(pictures, model=ROOT / "cnn.pth")
    on_onnx = digits.predict(pictures, model=ROOT / "cnn.onnx")
    assert [p.digit for p in on_torch] == [p.digit for p in on_onnx]
    assert np.allclose([p.probabilities for p in on_torch], [p.probabilities for p in on_onnx], atol=1e-5)
    assert isinstance(runner(ROOT / "cnn.pth"), TorchRunner) and isinstance(runner(ROOT / "cnn.onnx"), OnnxRunner)


WITHOUT_TORCH = "import sys; sys.modules['torch'] = None; sys.modules['torchvision'] = None\n"


def python_without_torch(code, *args):
    return subprocess.run([sys.executable, "-c", WITHOUT_TORCH + code, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_digits_predicts_and_reads_without_torch(tmp_path, mnist_test):
    seven = tmp_path / "seven.png"
    seven.write_bytes(png((255 - mnist_test[0][0, 0].numpy() * 255).astype(np.uint8)))
    result = python_without_torch(
        "import digits\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "print(digits.predict(sys.argv[1])[0].digit, digits.read(sys.argv[1]).text)\n"
        "from digits.runtime import default_model_path\n"
        "print(default_model_path().name)\n", str(seven))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(int(mnist_test[1][0]))] * 2 + ["cnn.onnx"]


def test_training_without_torch_says_what_to_install():
    result = python_without_torch("import digits\ntry:\n    digits.MLP\nexcept ImportError as e:\n    print(e)")
    assert "pip install torch" in result.stdout
    result = python_without_torch("import runpy; sys.argv = ['digits', 'train']\n"
                                  "runpy.run_module('digits', run_name='__main__')")
    assert result.returncode != 0 and "pip install torch" in result.stderr


def test_a_pth_without_torch_is_a_clear_error():
    result = python_without_torch("from digits.runtime import runner\nrunner('model.pth')")
    assert result.returncode != 0 and "needs torch" in result.stderr
