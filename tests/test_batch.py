"""Batch reading: folders and globs, one row per file, CSV / JSON lines, bad files survived."""
import csv
import json

import numpy as np
import pytest
from PIL import Image

from digits.batch import expand
from digits.synth import render_number
from test_cli import run


@pytest.fixture
def folder(tmp_path, mnist_test):
    """Three digit images, a corrupt PNG, a text file and a hidden file, in a folder tree."""
    images, labels = mnist_test
    (tmp_path / "sub").mkdir()
    names = ["a.png", "b.jpg", "sub/c.png"]
    for name, i in zip(names, (0, 1, 2)):
        Image.fromarray((255 - images[i, 0].numpy() * 255).astype(np.uint8)).resize((56, 56)).save(tmp_path / name)
    (tmp_path / "broken.png").write_bytes((tmp_path / "a.png").read_bytes()[:40])
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"ignored")
    truth = {str(tmp_path / n): int(labels[i]) for n, i in zip(names, (0, 1, 2))}
    return tmp_path, truth


def test_a_folder_expands_to_its_files_sorted_without_hidden_ones(folder):
    path, _ = folder
    assert expand([path]) == [str(path / n) for n in ("a.png", "b.jpg", "broken.png", "notes.txt", "sub/c.png")]
    assert expand([str(path / "*.png")]) == [str(path / "a.png"), str(path / "broken.png")]
    assert expand([str(path / "**" / "c.png")]) == [str(path / "sub" / "c.png")]
    assert expand([str(path / "nothing*.png")]) == [str(path / "nothing*.png")]


def test_predict_a_folder_to_csv_one_row_per_file(folder, tmp_path_factory):
    path, truth = folder
    out = tmp_path_factory.mktemp("out") / "rows.csv"
    result = run("predict", str(path), "--csv", str(out))
    assert result.returncode == 1                      # some files failed
    assert "5 files" in result.stderr and "2 failed" in result.stderr
    rows = list(csv.DictReader(out.open()))
    assert [r["file"] for r in rows] == expand([path])
    assert list(rows[0]) == ["file", "answer", "confidence", "accepted", "error"]
    by_file = {r["file"]: r for r in rows}
    for name, digit in truth.items():
        assert int(by_file[name]["answer"]) == digit and by_file[name]["error"] == ""
        assert 0 < float(by_file[name]["confidence"]) <= 1 and by_file[name]["accepted"] in ("True", "False")
    assert "not a readable image" in by_file[str(path / "notes.txt")]["error"]
    assert by_file[str(path / "broken.png")]["error"]


def test_read_a_glob_to_json_lines(tmp_path, mnist_test):
    images, labels = mnist_test
    rng = np.random.default_rng(0)
    for k, picks in enumerate([(3, 2), (1, 18, 4)]):
        render_number([images[i, 0].numpy() for i in picks], rng).save(tmp_path / f"n{k}.png")
    out = tmp_path / "rows.jsonl"
    result = run("read", str(tmp_path / "n*.png"), "--jsonl", str(out), "--min-confidence", "0")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["answer"] for r in rows] == ["01", "234"]
    assert all(isinstance(r["accepted"], bool) and r["error"] == "" and 0 < r["confidence"] <= 1 for r in rows)


def test_min_confidence_one_marks_everything_unsure(folder):
    path, truth = folder
    result = run("predict", *truth, "--min-confidence", "1")
    assert result.returncode == 0
    assert all(line.endswith("unsure") for line in result.stdout.splitlines())


def test_min_confidence_outside_zero_one_is_refused(folder):
    path, truth = folder
    result = run("predict", *truth, "--min-confidence", "7")
    assert result.returncode == 2 and "not a probability" in result.stderr


def test_nothing_matched_is_an_error_row_not_silence(tmp_path):
    result = run("predict", str(tmp_path / "missing*.png"))
    assert result.returncode == 1 and "no such file" in result.stderr
