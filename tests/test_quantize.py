"""The int8 export: integer convolutions, the same answers and the same confidence."""
import subprocess
import sys

import numpy as np
import onnx
import pytest

import digits
from conftest import ROOT
from digits.outliers import non_digits
from digits.predict import MIN_CONFIDENCE
from digits.quantize import quantize_checkpoint
from digits.runtime import OnnxRunner, TorchRunner

INT8 = ROOT / "cnn.int8.onnx"


def integer_weights(path) -> int:
    """How many of the graph's stored tensors are 8-bit integers."""
    return sum(t.data_type in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8) for t in onnx.load(path).graph.initializer)


def accepted(model, images):
    probabilities, atypicality = model.judge(images)
    return (probabilities.max(1) >= MIN_CONFIDENCE) & (atypicality <= 1)


def test_the_committed_int8_model_gives_its_checkpoints_answers(mnist_test):
    """Quantize again after retraining cnn.pth: this fails when the two drift apart."""
    images, labels = mnist_test[0][:, 0].numpy(), mnist_test[1].numpy()
    quantized = OnnxRunner(INT8).probabilities(images).argmax(1)
    floating = TorchRunner(digits.load_model(ROOT / "cnn.pth")).probabilities(images).argmax(1)
    assert (quantized == floating).mean() >= 0.999
    assert abs((quantized == labels).mean() - (floating == labels).mean()) <= 0.0005
    assert integer_weights(INT8) >= 7                      # every convolution's weights
    assert {p.key: p.value for p in onnx.load(INT8).metadata_props}["source"] == "cnn.pth"


def test_the_int8_model_accepts_and_rejects_as_the_float_one(mnist_train):
    (train, train_labels), (validation, _) = digits.split_validation(*mnist_train)
    others = non_digits(1000, train[:3000, 0].numpy(), train_labels[:3000].numpy(), seed=7)
    for images in (validation[:2000, 0].numpy(), others):              # 1-3 in 1,000 measured
        agree = accepted(OnnxRunner(INT8), images) == accepted(OnnxRunner(ROOT / "cnn.onnx"), images)
        assert agree.mean() >= 0.995
    assert accepted(OnnxRunner(INT8), others).mean() < 0.08


def test_quantizing_writes_integer_convolutions_that_answer_alike(tmp_path, mnist_train, mnist_test):
    train, _ = digits.split_validation(*mnist_train)
    out = quantize_checkpoint(ROOT / "cnn.pth", train, tmp_path / "again.int8.onnx", seed=1)
    assert integer_weights(out) >= 7 and out.stat().st_size < (ROOT / "cnn.onnx").stat().st_size
    images = mnist_test[0][:2000, 0].numpy()
    again, shipped = OnnxRunner(out), OnnxRunner(ROOT / "cnn.onnx")
    assert (again.probabilities(images).argmax(1) == shipped.probabilities(images).argmax(1)).mean() >= 0.998
    assert (accepted(again, images) == accepted(shipped, images)).mean() >= 0.995
    assert again.temperature == shipped.temperature and "quantized" in onnx.load(out).metadata_props[-1].key


def test_quantizing_an_mlp_is_refused(tmp_path, mnist_train):
    with pytest.raises(ValueError, match="CNN"):
        quantize_checkpoint(ROOT / "model.pth", mnist_train, tmp_path / "x.onnx")
    result = subprocess.run([sys.executable, "-m", "digits", "export", "model.pth", "--int8", "-o",
                             str(tmp_path / "x.onnx")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "CNN" in result.stderr and not (tmp_path / "x.onnx").exists()


def test_the_int8_model_runs_without_torch(tmp_path, mnist_test):
    """The serving install (no torch) can run it: ONNX Runtime's own integer kernels."""
    images = tmp_path / "digits.npy"
    np.save(images, (mnist_test[0][:20, 0].numpy() * 255).astype(np.uint8))
    code = ("import sys; sys.modules['torch'] = None\nimport numpy as np, digits\n"
            "print(*(p.digit for p in digits.predict(list(np.load(sys.argv[1])), model='cnn.int8.onnx')))")
    result = subprocess.run([sys.executable, "-c", code, str(images)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(int(label)) for label in mnist_test[1][:20]]
