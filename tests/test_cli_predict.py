"""python -m digits predict: images in, digits out, bad files reported without stopping."""
import json

import numpy as np

from conftest import ROOT
from digits.synth import render
from test_cli import run


def write_photos(tmp_path, mnist_test, count=3):
    rng = np.random.default_rng(7)
    images, labels = mnist_test
    paths = []
    for i in range(count):
        path = tmp_path / f"digit{i}.jpg"
        render(images[i, 0].numpy(), rng).save(path)
        paths.append(str(path))
    return paths, labels[:count].tolist()


def test_predict_prints_each_file_with_its_digit(tmp_path, mnist_test):
    paths, labels = write_photos(tmp_path, mnist_test)
    result = run("predict", *paths)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == paths
    assert [int(line.split(": ")[1].split()[0]) for line in lines] == labels


def test_predict_json_and_a_bad_file_in_the_middle(tmp_path, mnist_test):
    paths, labels = write_photos(tmp_path, mnist_test, 2)
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    result = run("predict", paths[0], str(bad), paths[1], "--json", "--model", str(ROOT / "model.pth"))
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in rows] == [paths[0], str(bad), paths[1]]
    assert "not a readable image" in rows[1]["error"]
    assert [rows[0]["digit"], rows[2]["digit"]] == labels
    assert len(rows[0]["probabilities"]) == 10


def test_predict_with_a_missing_model_fails_clearly(tmp_path, mnist_test):
    paths, _ = write_photos(tmp_path, mnist_test, 1)
    result = run("predict", paths[0], "--model", str(tmp_path / "nope.pth"))
    assert result.returncode == 2 and "nope.pth" in result.stderr and "Traceback" not in result.stderr
