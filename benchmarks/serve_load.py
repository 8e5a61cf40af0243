"""Load on the real server over loopback: throughput, latency percentiles, errors, memory.

Starts ``python -m digits serve`` (1 and 2 workers by default), warms it up, then sends a
bounded number of requests at a fixed concurrency from one asyncio client and prints one
row per run. Images are MNIST test digits rendered as photos/scans of 28-300 px (PNG).
The client runs on the same 2 cores as the server, so its own cost is in the figures.

    python benchmarks/serve_load.py [--requests 2000] [--concurrency 16] [--workers 1 2]
                                    [--endpoint /api/predict] [--max-seconds 120]
"""
from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import time
from pathlib import Path

import httpx2
import numpy as np

import digits
from digits.runtime import default_model_path
from digits.server import running
from digits.synth import render
from tables import markdown_table

SIZES = (28, 64, 128, 300)


def test_images(count=64, seed=0) -> list[bytes]:
    """PNG bytes of MNIST test digits rendered on paper, sides cycling through SIZES."""
    images, _ = digits.load_mnist(False)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        picture = render(images[i, 0].numpy(), rng, polarity="dark").convert("L")
        side = SIZES[i % len(SIZES)]
        buffer = io.BytesIO()
        picture.resize((side, side)).save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


def resident_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (MiB), from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            pass
    return total / 1024


async def load(url, endpoint, payloads, count, concurrency, max_seconds):
    """Send ``count`` requests with ``concurrency`` in flight; returns latencies (s), errors, wall s."""
    latencies, errors, sent = [], 0, 0
    deadline = time.perf_counter() + max_seconds
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def worker():
            nonlocal errors, sent
            while sent < count and time.perf_counter() < deadline:
                body = payloads[sent % len(payloads)]
                sent += 1
                start = time.perf_counter()
                try:
                    answer = await client.post(endpoint, content=body,
                                               headers={"content-type": "image/png"})
                    ok = answer.status_code == 200
                except httpx2.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, errors, time.perf_counter() - start


def run(workers, args, payloads) -> dict:
    with running(workers=workers, model=args.model) as (url, process):
        asyncio.run(load(url, args.endpoint, payloads, args.warmup, args.concurrency, 60))
        before = resident_mib(process.pid)
        latencies, errors, wall = asyncio.run(
            load(url, args.endpoint, payloads, args.requests, args.concurrency, args.max_seconds))
        after = resident_mib(process.pid)
    ms = sorted(1000 * t for t in latencies)
    return {"workers": workers, "requests": len(ms), "req/s": len(ms) / wall,
            "p50 ms": statistics.median(ms), "p99 ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))],
            "errors": errors, "RSS before MiB": before, "RSS after MiB": after}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--endpoint", default="/api/predict")
    parser.add_argument("--model", help="model to serve (default: the shipped cnn.onnx, else cnn.pth)")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop a run after this long")
    args = parser.parse_args()
    payloads = test_images()
    print(f"{args.endpoint}, {args.requests} requests at concurrency {args.concurrency}, "
          f"PNG images of {'/'.join(map(str, SIZES))} px, model {args.model or default_model_path().name}")
    rows = [run(w, args, payloads) for w in args.workers]
    columns = list(rows[0])
    print(markdown_table(columns, [[f"{r[c]:,.1f}" if isinstance(r[c], float) else f"{r[c]:,}" for c in columns]
                                   for r in rows]))


if __name__ == "__main__":
    main()
