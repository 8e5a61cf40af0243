"""Command line: a thin layer over the package's API.

    python -m digits train [--arch mlp|cnn] [--fast] [--init CHECKPOINT] [--out PATH] [--epochs N] ...
    python -m digits evaluate model.pth
    python -m digits calibrate CHECKPOINT
    python -m digits predict IMAGE... [--model PATH] [--json]
    python -m digits read IMAGE... [--model PATH] [--json]
    python -m digits serve [--host 127.0.0.1] [--port 8000] [--model PATH] [--workers N]
    python -m digits export CHECKPOINT [-o FILE.onnx] [--int8]
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from . import recipes
from .predict import MIN_CONFIDENCE
from .runtime import CheckpointError

ARCHITECTURES = ("mlp", "cnn")       # as digits.models.ARCHITECTURES, named without importing torch


def _torch_parts():
    """The training modules, which need PyTorch; a clear message where it is missing."""
    try:
        from . import calibration, data, models, train
    except ModuleNotFoundError as e:
        if e.name != "torch":
            raise
        raise SystemExit("error: training and evaluating need PyTorch: pip install torch torchvision "
                         "(this install can predict, read and serve with ONNX Runtime)") from None
    return calibration, data, models, train


def _train(args) -> int:
    calibration, data, models, train = _torch_parts()
    import torch
    if args.init and (args.arch != "cnn" or args.fast or args.widths):
        raise SystemExit("error: --init fine-tunes a trained cnn (--arch cnn, without --fast or --widths)")
    recipe = {("mlp", False): recipes.MLP_RECIPE, ("mlp", True): recipes.MLP_FAST_RECIPE,
              ("cnn", False): recipes.CNN_RECIPE, ("cnn", True): recipes.CNN_FAST_RECIPE}[args.arch, args.fast]
    if args.init:
        recipe = recipes.CNN_TUNE_RECIPE
    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "max_lr", "seed", "outliers", "flags")
                 if getattr(args, k) is not None}
    if args.no_augment:
        overrides["augment"] = False
    recipe = replace(recipe, **overrides)
    if args.widths and args.arch != "cnn":
        raise SystemExit("error: --widths is for --arch cnn (the mlp has fixed layers)")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"error: --device {args.device}: PyTorch sees no CUDA GPU here")
    torch.manual_seed(recipe.seed)          # the initial weights too
    widths = {"widths": args.widths} if args.widths else {}
    if args.init:
        try:
            model = models.load_model(args.init, arch="cnn")
        except models.CheckpointError as e:
            raise SystemExit(f"error: --init {e}") from None
    else:
        model = models.MLP() if args.arch == "mlp" else models.fast_cnn(**widths) if args.fast else models.CNN(**widths)
    train_set, validation = data.split_validation(*data.load_mnist(True, args.data))
    test_set = data.load_mnist(False, args.data)
    teachers = [models.load_model(path) for path in args.teacher or ()]
    taught = f", taught by {' and '.join(args.teacher)}" if teachers else ""
    taught += f", starting from {args.init}" if args.init else ""
    print(f"training a {args.arch} on {len(train_set[0]):,} images{taught} ({args.device}): {recipe}")
    history = train.fit(model.to(args.device), train_set, test_set, recipe, teacher=teachers or None)
    model.cpu()
    last = history[-1]
    fitted = calibration.calibrate_model(model, train_set, validation)
    path = models.save_model(model, args.out or f"{'model' if args.arch == 'mlp' else args.arch}.pth")
    print(f"test accuracy {last['test_accuracy']:.2%} after {last['seconds']:.1f} s of training; "
          f"{_calibrated(fitted, validation)}; saved {path}")
    return 0


def _widths(text: str) -> tuple:
    """'32,64,128' -> (32, 64, 128): three positive channel counts."""
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 3 or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected three positive channel counts like 32,64,128, not {text!r}")
    return widths


def _calibrated(fitted, validation) -> str:
    return (f"confidence calibrated on {len(validation[0]):,} held-out training images (temperature "
            f"{fitted['temperature']:.3f}, typicality limit {fitted['typicality_limit']:.2f}; its learnt part "
            f"flags {fitted['non_digits_flagged']:.1%} of the non-digits it was taught)")


def _calibrate(args) -> int:
    calibration, data, models, _ = _torch_parts()
    model = models.load_model(args.checkpoint)
    train_set, validation = data.split_validation(*data.load_mnist(True, args.data))
    fitted = calibration.calibrate_model(model, train_set, validation)
    path = models.save_model(model, args.checkpoint)
    print(f"{path}: {_calibrated(fitted, validation)}")
    return 0


def _evaluate(args) -> int:
    _, data, models, train = _torch_parts()
    model = models.load_model(args.checkpoint)
    result = train.evaluate(model, *data.load_mnist(False, args.data))
    print(f"{args.checkpoint}: test accuracy {result['accuracy']:.2%} on 10,000 MNIST test images")
    print("per class: " + "  ".join(f"{d}: {a:.2%}" for d, a in enumerate(result["per_class"])))
    return 0


def _predict(args) -> int:
    from .batch import predict_files
    return _each_file(args, predict_files, lambda r: f"{r['answer']} ({r['confidence']:.1%})",
                      lambda r: {"file": r["file"], "digit": r["answer"], "probability": r["confidence"],
                                 "probabilities": r["probabilities"], "accepted": r["accepted"]})


def _read(args) -> int:
    from .batch import read_files
    return _each_file(args, read_files, lambda r: r["answer"],
                      lambda r: {"file": r["file"], "text": r["answer"], "confidence": r["confidence"],
                                 "accepted": r["accepted"], "doubtful": r["doubtful"], "digits": r["digits"]})


def _each_file(args, rows_of, answer, as_json) -> int:
    """Run ``rows_of`` over every file named (folders and globs expanded), writing rows to
    --csv / --jsonl files (with a progress bar) or printing them; 1 if any file failed."""
    from tqdm.auto import tqdm

    from .batch import RowWriter, expand
    from .predict import resolve_model
    files = expand(args.images)
    if not files:
        print("error: no files found", file=sys.stderr)
        return 1
    model = resolve_model(args.model)
    writers = [RowWriter(path, kind) for path, kind in ((args.csv, "csv"), (args.jsonl, "jsonl")) if path]
    counts = {"accepted": 0, "unsure": 0, "failed": 0}
    try:
        rows = rows_of(files, model, args.min_confidence)
        for row in tqdm(rows, total=len(files), unit="file", disable=not writers):
            counts["failed" if row["error"] else "accepted" if row["accepted"] else "unsure"] += 1
            for writer in writers:
                writer.write(row)
            if not writers:
                _emit(row, args.json, answer, as_json)
    finally:
        for writer in writers:
            writer.close()
    if writers:
        print(f"{len(files):,} files: {counts['accepted']:,} accepted, {counts['unsure']:,} unsure, "
              f"{counts['failed']:,} failed; wrote {', '.join(w.file.name for w in writers)}", file=sys.stderr)
    return 1 if counts["failed"] else 0


def _export(args) -> int:
    _, _, models, _ = _torch_parts()
    import numpy as np

    from .export import export_onnx
    from .runtime import OnnxRunner, TorchRunner
    if args.int8:
        return _export_int8(args)
    path = export_onnx(args.checkpoint, args.out)
    probe = np.random.default_rng(0).random((8, 28, 28), dtype=np.float32)
    gap = np.abs(OnnxRunner(path).probabilities(probe)
                 - TorchRunner(models.load_model(args.checkpoint)).probabilities(probe)).max()
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB); ONNX Runtime and PyTorch agree "
          f"within {gap:.1e} on a probe batch")
    return 0


def _export_int8(args) -> int:
    _, data, models, _ = _torch_parts()
    import numpy as np

    from .predict import classify
    from .quantize import quantize_checkpoint, require_cnn
    from .runtime import OnnxRunner
    model = models.load_model(args.checkpoint)
    try:
        require_cnn(model, args.checkpoint)          # before loading MNIST for nothing
    except ValueError as e:
        raise SystemExit(f"error: {e}") from None
    train_set, (images, labels) = data.split_validation(*data.load_mnist(True, args.data))
    path = quantize_checkpoint(args.checkpoint, train_set, args.out)

    def answers(network):                     # (digits, accepted) on the held-out digits
        predictions = classify(images[:, 0].numpy(), network)
        return np.array([p.digit for p in predictions]), np.array([p.accepted for p in predictions])

    (quantized, kept), (floating, kept_float) = answers(OnnxRunner(path)), answers(model)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB); on {len(labels):,} held-out digits: "
          f"{np.mean(quantized == labels.numpy()):.2%} right ({np.mean(floating == labels.numpy()):.2%} in float), "
          f"the same answer on {np.mean(quantized == floating):.2%}, the same accept decision on "
          f"{np.mean(kept == kept_float):.2%}")
    return 0


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


def _emit(row, json_lines, answer, as_json):
    """One result row: a JSON line, an error line on stderr, or "file: answer [unsure]"."""
    if row["error"]:
        if json_lines:
            print(json.dumps({"file": row["file"], "error": row["error"]}))
        else:
            print(f"{row['file']}: error: {row['error']}", file=sys.stderr)
    elif json_lines:
        print(json.dumps(as_json(row)))
    else:
        print(f"{row['file']}: {answer(row)}" + ("" if row["accepted"] else "  unsure"))


def _probability(text) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability between 0 and 1")
    return value


def _image_arguments(parser, json_fields):
    """The arguments shared by the commands that look at image files."""
    parser.add_argument("images", nargs="+", metavar="PATH",
                        help="image files (PNG, JPEG, ...), folders (walked) or glob patterns ('scans/*.jpg')")
    parser.add_argument("--model", metavar="PATH",
                        help="checkpoint to use (default: the most accurate shipped one, cnn.pth)")
    parser.add_argument("--json", action="store_true",
                        help=f"print one JSON object per image: {json_fields} (or file, error)")
    parser.add_argument("--min-confidence", type=_probability, metavar="P",
                        help=f"mark answers less sure than P as unsure (default: {MIN_CONFIDENCE})")
    parser.add_argument("--csv", metavar="FILE", help="write file,answer,confidence,accepted,error rows "
                                                      "to FILE (with a progress bar) instead of printing")
    parser.add_argument("--jsonl", metavar="FILE", help="the same rows as JSON lines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m digits",
                                     description="Handwritten-digit recognition in PyTorch.")
    parser.add_argument("--data", metavar="DIR",
                        help="folder holding MNIST/raw (default: $DIGITS_DATA, else ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model on MNIST and save its checkpoint",
                       description="Train on the 60,000 MNIST training images, report "
                                   "test accuracy, save the weights atomically.")
    t.add_argument("--arch", choices=ARCHITECTURES, default="mlp",
                   help="which network to train (default: mlp)")
    t.add_argument("--out", help="where to save the checkpoint (default: model.pth for mlp, "
                                 "cnn.pth for cnn)")
    t.add_argument("--epochs", type=int, help=f"passes over the data (default: mlp {recipes.MLP_RECIPE.epochs}, "
                                              f"cnn {recipes.CNN_RECIPE.epochs})")
    t.add_argument("--batch-size", type=int, help=f"images per step (default: mlp {recipes.MLP_RECIPE.batch_size}, "
                                                  f"cnn {recipes.CNN_RECIPE.batch_size})")
    t.add_argument("--max-lr", type=float, help=f"peak learning rate of the one-cycle schedule "
                                                f"(default: mlp {recipes.MLP_RECIPE.max_lr}, cnn {recipes.CNN_RECIPE.max_lr})")
    t.add_argument("--seed", type=int, help=f"random seed (default: {recipes.MLP_RECIPE.seed})")
    t.add_argument("--fast", action="store_true",
                   help="the short recipe: fewer epochs for most of the accuracy "
                        f"(cnn: a narrower net, {recipes.CNN_FAST_RECIPE.epochs} epochs; "
                        f"mlp: {recipes.MLP_FAST_RECIPE.epochs} epochs)")
    t.add_argument("--outliers", type=float, metavar="SHARE",
                   help="mix this many non-digits per digit into every batch, with a flat target, so that "
                        "letters and scribbles come back unsure (digits.outliers; default 0: none)")
    t.add_argument("--flags", type=float, metavar="SHARE",
                   help="give this share of the training 1s a flag, as much of the world writes a 1 "
                        "(default: 0, but 0.5 with --init)")
    t.add_argument("--init", metavar="PATH",
                   help="cnn only: fine-tune this trained checkpoint instead of starting from random weights, "
                        f"by default for {recipes.CNN_TUNE_RECIPE.epochs} epochs at peak learning rate "
                        f"{recipes.CNN_TUNE_RECIPE.max_lr} with flags on half the 1s (how cnn.pth was made)")
    t.add_argument("--widths", type=_widths, metavar="C1,C2,C3",
                   help="cnn only: channels of its three stages (default: cnn.pth's, "
                        "or the narrower net of --fast)")
    t.add_argument("--device", default="cpu",
                   help="where to train: cpu (default) or cuda (a GPU, where PyTorch sees one)")
    t.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    t.add_argument("--teacher", metavar="PATH", action="append",
                   help="a trained checkpoint whose softened probabilities the new model also learns "
                        "to match (knowledge distillation); repeat it to learn from several at once")
    t.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS,
                   help="folder holding MNIST/raw (default: $DIGITS_DATA, else ./data)")
    t.set_defaults(run=_train)

    e = sub.add_parser("evaluate", help="accuracy of a checkpoint on the MNIST test set",
                       description="Accuracy and per-class accuracy on the 10,000 MNIST test images.")
    e.add_argument("checkpoint", help="a .pth file written by this project")
    e.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS,
                   help="folder holding MNIST/raw (default: $DIGITS_DATA, else ./data)")
    e.set_defaults(run=_evaluate)

    c = sub.add_parser("calibrate", help="refit a checkpoint's confidence calibration and typicality check",
                       description="Fit the typicality check (is this like the training digits?) and the "
                                   "temperature of a checkpoint on the held-out slice of the MNIST training "
                                   "set, and save them into it. The weights are not changed.")
    c.add_argument("checkpoint", help="a .pth file written by this project")
    c.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS,
                   help="folder holding MNIST/raw (default: $DIGITS_DATA, else ./data)")
    c.set_defaults(run=_calibrate)

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

    x = sub.add_parser("export", help="write a checkpoint as ONNX, for inference without PyTorch",
                       description="Export a .pth checkpoint to ONNX (dynamic batch size; normalisation "
                                   "and calibration inside the graph) for ONNX Runtime.")
    x.add_argument("checkpoint", help="a .pth file written by this project")
    x.add_argument("-o", "--out", metavar="FILE.onnx",
                   help="where to write (default: beside it, .onnx, or .int8.onnx with --int8)")
    x.add_argument("--int8", action="store_true",
                   help="a CNN's convolutions in 8-bit integers (about twice the batch speed on CPUs with "
                        "integer dot products); their ranges are measured on MNIST training digits (needs the data)")
    x.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS,
                   help="folder holding MNIST/raw, for --int8 (default: $DIGITS_DATA, else ./data)")
    x.set_defaults(run=_export)

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
    except (CheckpointError, FileNotFoundError) as e:     # DataNotFoundError is a FileNotFoundError
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
