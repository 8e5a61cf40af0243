"""Command line: a thin layer over the package's API.

    python -m digits train [--arch mlp|cnn] [--fast] [--out PATH] [--epochs N] ...
    python -m digits evaluate model.pth
    python -m digits predict IMAGE... [--model PATH] [--json]
    python -m digits read IMAGE... [--model PATH] [--json]
    python -m digits serve [--host 127.0.0.1] [--port 8000] [--model PATH] [--workers N]
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

import torch

from . import data, models, train


def _train(args) -> int:
    recipe = {("mlp", False): train.MLP_RECIPE, ("mlp", True): train.MLP_FAST_RECIPE,
              ("cnn", False): train.CNN_RECIPE, ("cnn", True): train.CNN_FAST_RECIPE}[args.arch, args.fast]
    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "max_lr", "seed")
                 if getattr(args, k) is not None}
    if args.no_augment:
        overrides["augment"] = False
    recipe = replace(recipe, **overrides)
    torch.manual_seed(recipe.seed)          # the initial weights too
    model = models.CNN(models.CNN_FAST_WIDTHS) if args.arch == "cnn" and args.fast \
        else models.ARCHITECTURES[args.arch]()
    train_set = data.load_mnist(True, args.data)
    test_set = data.load_mnist(False, args.data)
    print(f"training a {args.arch} on {len(train_set[0]):,} images: {recipe}")
    history = train.fit(model, train_set, test_set, recipe)
    last = history[-1]
    path = models.save_model(model, args.out or f"{'model' if args.arch == 'mlp' else args.arch}.pth")
    print(f"test accuracy {last['test_accuracy']:.2%} after {last['seconds']:.1f} s of training; "
          f"saved {path}")
    return 0


def _evaluate(args) -> int:
    model = models.load_model(args.checkpoint)
    result = train.evaluate(model, *data.load_mnist(False, args.data))
    print(f"{args.checkpoint}: test accuracy {result['accuracy']:.2%} on 10,000 MNIST test images")
    print("per class: " + "  ".join(f"{d}: {a:.2%}" for d, a in enumerate(result["per_class"])))
    return 0


def _predict(args) -> int:
    from .predict import classify, resolve_model
    from .preprocess import ImageError, preprocess

    model = resolve_model(args.model)
    tensors, errors = {}, {}
    for name in args.images:
        try:
            tensors[name] = preprocess(name)
        except ImageError as e:
            errors[name] = str(e)
    predictions = dict(zip(tensors, classify(torch.stack(list(tensors.values())), model))) if tensors else {}
    rows = []
    for name in args.images:
        if name in predictions:
            p = predictions[name]
            rows.append({"file": name, "digit": p.digit, "probability": round(p.probability, 6),
                         "probabilities": [round(q, 6) for q in p.probabilities]})
        else:
            rows.append({"file": name, "error": errors[name]})
    for row in rows:
        _emit(row, args.json, lambda r: f"{r['digit']} ({r['probability']:.1%})")
    return 1 if errors else 0


def _read(args) -> int:
    from .predict import resolve_model
    from .preprocess import ImageError
    from .read import read

    model, failed = resolve_model(args.model), False
    for name in args.images:
        try:
            reading = read(name, model)
        except ImageError as e:
            failed = True
            row = {"file": name, "error": str(e)}
        else:
            row = {"file": name, "text": reading.text,
                   "digits": [{"digit": d, "probability": round(p, 6), "box": list(b)}
                              for d, p, b in reading.digits]}
        _emit(row, args.json, lambda r: r["text"])
    return 1 if failed else 0


def _serve(args) -> int:
    try:
        from .server import serve
    except ImportError as e:
        print(f"error: the server needs FastAPI and uvicorn ({e}); pip install fastapi uvicorn "
              "python-multipart", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    serve(args.host, args.port, args.model, args.workers)
    return 0


def _emit(row, as_json, answer):
    """One result row: a JSON line, an error line on stderr, or "file: answer"."""
    if as_json:
        print(json.dumps(row))
    elif "error" in row:
        print(f"{row['file']}: error: {row['error']}", file=sys.stderr)
    else:
        print(f"{row['file']}: {answer(row)}")


def _image_arguments(parser, json_fields):
    """The arguments shared by the commands that look at image files."""
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    parser.add_argument("--model", metavar="PATH",
                        help="checkpoint to use (default: the most accurate shipped one, cnn.pth)")
    parser.add_argument("--json", action="store_true",
                        help=f"print one JSON object per image: {json_fields} (or file, error)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m digits",
                                     description="Handwritten-digit recognition in PyTorch.")
    parser.add_argument("--data", metavar="DIR",
                        help="folder holding MNIST/raw (default: $DIGITS_DATA, else ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model on MNIST and save its checkpoint",
                       description="Train on the 60,000 MNIST training images, report "
                                   "test accuracy, save the weights atomically.")
    t.add_argument("--arch", choices=sorted(models.ARCHITECTURES), default="mlp",
                   help="which network to train (default: mlp)")
    t.add_argument("--out", help="where to save the checkpoint (default: model.pth for mlp, "
                                 "cnn.pth for cnn)")
    t.add_argument("--epochs", type=int, help=f"passes over the data (default: mlp {train.MLP_RECIPE.epochs}, "
                                              f"cnn {train.CNN_RECIPE.epochs})")
    t.add_argument("--batch-size", type=int, help=f"images per step (default: mlp {train.MLP_RECIPE.batch_size}, "
                                                  f"cnn {train.CNN_RECIPE.batch_size})")
    t.add_argument("--max-lr", type=float, help=f"peak learning rate of the one-cycle schedule "
                                                f"(default: mlp {train.MLP_RECIPE.max_lr}, cnn {train.CNN_RECIPE.max_lr})")
    t.add_argument("--seed", type=int, help=f"random seed (default: {train.MLP_RECIPE.seed})")
    t.add_argument("--fast", action="store_true",
                   help="the short recipe: fewer epochs for most of the accuracy "
                        "(cnn: a narrower net, 3 epochs; mlp: 8 epochs)")
    t.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    t.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS,
                   help="folder holding MNIST/raw (default: $DIGITS_DATA, else ./data)")
    t.set_defaults(run=_train)

    e = sub.add_parser("evaluate", help="accuracy of a checkpoint on the MNIST test set",
                       description="Accuracy and per-class accuracy on the 10,000 MNIST test images.")
    e.add_argument("checkpoint", help="a .pth file written by this project")
    e.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS,
                   help="folder holding MNIST/raw (default: $DIGITS_DATA, else ./data)")
    e.set_defaults(run=_evaluate)

    p = sub.add_parser("predict", help="recognise the digit in each image file",
                       description="Recognise one handwritten digit per image: photos, scans, "
                                   "drawings, any size and mode. Files that cannot be read are "
                                   "reported and skipped; the exit status is 1 if any failed.")
    _image_arguments(p, json_fields="file, digit, probability, probabilities")
    p.set_defaults(run=_predict)

    r = sub.add_parser("read", help="read the number written on one line of each image",
                       description="Read a line of handwritten digits (\"2026\") from each image; "
                                   "separators, specks and ruled lines are ignored. Unreadable files "
                                   "are reported and skipped; the exit status is 1 if any failed.")
    _image_arguments(r, json_fields="file, text, digits with probability and box "
                                    "[left, top, right, bottom]")
    r.set_defaults(run=_read)

    s = sub.add_parser("serve", help="the drawing page and the JSON API over HTTP",
                       description="Serve the drawing page at / and the API (/api/predict, /api/read, "
                                   "/healthz, docs at /docs) with uvicorn; the model is loaded once.")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    s.add_argument("--model", metavar="PATH",
                   help="checkpoint to serve (default: the most accurate shipped one, cnn.pth)")
    s.add_argument("--workers", type=int, default=1, help="server processes (default: 1)")
    s.set_defaults(run=_serve)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (models.CheckpointError, data.DataNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
