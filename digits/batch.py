"""Many files at once: folders and glob patterns in, one result row per file out.

Files stream through in chunks (predict sends each chunk through the model as one
batch), so memory stays flat however many there are; a file that cannot be read
gives a row naming its error and the rest go on. Rows go to CSV or JSON lines.
"""
from __future__ import annotations

import csv
import glob
import json
from pathlib import Path

import numpy as np

from .predict import classify, resolve_model, threshold_of
from .preprocess import ImageError, to_mnist
from .read import read

CHUNK = 256                                   # files decoded (and batched) at a time
COLUMNS = ("file", "answer", "confidence", "accepted", "error")


def expand(arguments) -> list[str]:
    """Files named by ``arguments``: files as given, folders walked (sorted, hidden files
    skipped), glob patterns (``*``, ``?``, ``[``, ``**``) matched. Names that match nothing
    are kept, so they get a row saying so."""
    files = []
    for argument in map(str, arguments):
        path = Path(argument)
        if path.is_dir():
            files += sorted(str(p) for p in path.rglob("*")
                            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif not path.exists() and any(c in argument for c in "*?["):
            matches = sorted(glob.glob(argument, recursive=True))
            files += expand(matches) if matches else [argument]
        else:
            files.append(argument)
    return files


def predict_files(files, model=None, min_confidence=None):
    """One row per file, in order: file, answer (digit), confidence, accepted, error,
    probabilities."""
    model, threshold = resolve_model(model), threshold_of(min_confidence)
    for start in range(0, len(files), CHUNK):
        chunk, tensors, errors = files[start:start + CHUNK], {}, {}
        for name in chunk:
            try:
                tensors[name] = to_mnist(name)
            except ImageError as e:
                errors[name] = str(e)
        answers = dict(zip(tensors, classify(np.stack(list(tensors.values())), model, threshold))) \
            if tensors else {}
        for name in chunk:
            if name in answers:
                p = answers[name]
                yield {"file": name, "answer": p.digit, "confidence": round(p.probability, 6),
                       "accepted": p.accepted, "error": "",
                       "probabilities": [round(q, 6) for q in p.probabilities]}
            else:
                yield {"file": name, "answer": "", "confidence": "", "accepted": False,
                       "error": errors[name]}


def read_files(files, model=None, min_confidence=None):
    """One row per file, in order: file, answer (text), confidence, accepted, error, digits."""
    model, threshold = resolve_model(model), threshold_of(min_confidence)
    for name in files:
        try:
            r = read(name, model, threshold)
        except ImageError as e:
            yield {"file": name, "answer": "", "confidence": "", "accepted": False, "error": str(e)}
            continue
        yield {"file": name, "answer": r.text, "confidence": round(r.confidence, 6),
               "accepted": r.accepted, "error": "", "doubtful": r.doubtful,
               "digits": [{"digit": d, "probability": round(p, 6), "box": list(b)} for d, p, b in r.digits]}


class RowWriter:
    """Writes the COLUMNS of each row to a CSV or JSON-lines file as it comes."""

    def __init__(self, path, kind):
        self.file = open(path, "w", newline="", encoding="utf-8")
        self.kind = kind
        if kind == "csv":
            self.csv = csv.DictWriter(self.file, COLUMNS, extrasaction="ignore")
            self.csv.writeheader()

    def write(self, row):
        if self.kind == "csv":
            self.csv.writerow(row)
        else:
            self.file.write(json.dumps({k: row[k] for k in COLUMNS}) + "\n")

    def close(self):
        self.file.close()
