"""PyTorch eager against ONNX Runtime for inference, on the same machine in one run.

For the MLP and the CNN (and the CNN's int8 export, cnn.int8.onnx): model time for one
image (one thread), end-to-end digits.predict on one real-world-style image (decode +
preprocess + model, one thread), batch-1000 throughput (two threads), and HTTP /api/predict
at concurrency 16 against the real server with 1 and 2 workers. Then the disk size of a
serving-only virtualenv against the full one.

    python benchmarks/light_inference.py [--requests 1000] [--serve-venv .venv-serve] [--full-venv .venv]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import torch

import digits
from digits.runtime import OnnxRunner, TorchRunner
from digits.server import running
from robustness import rendered_test_set
from serve_load import load, test_images
from tables import markdown_table

ROOT = Path(__file__).resolve().parent.parent
MODELS = {"MLP": "model", "CNN": "cnn"}
RUNTIMES = (("PyTorch eager", ".pth"), ("ONNX Runtime", ".onnx"), ("ONNX Runtime, int8", ".int8.onnx"))


def median_ms(call, repeats=300, warmup=20) -> float:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def runner_for(path: Path, threads: int):
    """A fresh runner for one measurement (PyTorch's threads are set by the caller)."""
    return OnnxRunner(path, threads=threads) if path.suffix == ".onnx" else TorchRunner(digits.load_model(path))


def http(model_path, workers, requests, payloads):
    with running(workers=workers, model=model_path) as (url, _):
        asyncio.run(load(url, "/api/predict", payloads, 100, 16, 60))
        latencies, errors, wall, _ = asyncio.run(load(url, "/api/predict", payloads, requests, 16, 120))
    ms = sorted(1000 * t for t in latencies)
    return statistics.median(ms), ms[int(0.99 * (len(ms) - 1))], len(ms) / wall, errors


def size_mib(path) -> str:
    if not path or not Path(path).is_dir():
        return "not built"
    return f"{int(subprocess.run(['du', '-sm', str(path)], capture_output=True, text=True).stdout.split()[0]):,} MiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="HTTP requests per server run")
    parser.add_argument("--serve-venv", default=str(ROOT / ".venv-serve"))
    parser.add_argument("--full-venv", default=str(ROOT / ".venv"))
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    photo = rendered_test_set(1, seed=0)[0][0]            # PNG bytes of a photo-like test digit
    batch = np.random.default_rng(0).random((1000, 28, 28), dtype=np.float32)
    payloads = test_images()
    rows = []
    for name, stem in MODELS.items():
        for runtime, suffix in RUNTIMES:
            if not (ROOT / f"{stem}{suffix}").is_file():
                continue
            torch.set_num_threads(1)
            r = runner_for(ROOT / f"{stem}{suffix}", threads=1)
            row = [name, runtime, f"{median_ms(lambda: r.probabilities(batch[:1])):.3f}",
                   f"{median_ms(lambda: digits.predict(photo, model=r), repeats=200):.2f}"]
            torch.set_num_threads(2)
            b = runner_for(ROOT / f"{stem}{suffix}", threads=2)
            row.append(f"{1000 / (median_ms(lambda: b.probabilities(batch), repeats=10, warmup=2) / 1000):,.0f}")
            if not args.skip_http:
                for workers in (1, 2):
                    p50, p99, rate, errors = http(ROOT / f"{stem}{suffix}", workers, args.requests, payloads)
                    row.append(f"{p50:.1f} / {p99:.1f} / {rate:,.0f}" + (f" ({errors} errors)" if errors else ""))
            rows.append(row)
    torch.set_num_threads(2)
    header = ["model", "runtime", "model ms (1 image, 1 thread)", "predict() ms end to end",
              "images/s (batch 1000, 2 threads)"]
    if not args.skip_http:
        header += ["HTTP 1 worker: p50 / p99 ms / req/s", "HTTP 2 workers: p50 / p99 ms / req/s"]
    print("\n" + markdown_table(header, rows))
    for name in MODELS:
        rates = {r[1]: float(r[4].replace(",", "")) for r in rows if r[0] == name}
        for runtime, rate in rates.items():
            if runtime != "PyTorch eager":
                print(f"{name}: {runtime} batch throughput is {rate / rates['PyTorch eager']:.1f}x PyTorch eager")
    print(f"\nvirtualenv on disk: serving only ({args.serve_venv}) {size_mib(args.serve_venv)}, "
          f"full ({args.full_venv}) {size_mib(args.full_venv)}")


if __name__ == "__main__":
    main()
