"""Load on the real server over loopback: throughput, latency percentiles, errors, memory.

Starts ``python -m digits serve`` (1 and 2 workers by default), warms it up, then sends a
bounded number of requests at a fixed concurrency from one asyncio client and prints one
row per run. Images are MNIST test digits rendered as photos/scans of 28-300 px (PNG).
The client runs on the same 2 cores as the server, so its own cost is in the figures: it is
kept small (keep-alive HTTP/1.1 written straight onto asyncio streams, as load generators
do; a general-purpose client such as httpx took 2.5-2.9 ms of CPU per request here, a
quarter of what the server needs) and printed, as milliseconds of client CPU per request.

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
from urllib.parse import urlsplit

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


class Connection:
    """One keep-alive HTTP/1.1 connection: POST a body, read the status and the reply."""

    def __init__(self, url):
        self.host, self.port = urlsplit(url).hostname, urlsplit(url).port
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes, content_type: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {content_type}\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        fields = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
        await self.reader.readexactly(int(fields.get("content-length", 0)))
        if fields.get("connection") == "close":
            self.close()
        return int(head[0].split()[1])

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(url, endpoint, payloads, count, concurrency, max_seconds):
    """Send ``count`` requests with ``concurrency`` in flight, each on its own keep-alive
    connection; returns latencies (s), errors, wall s and the client's CPU s."""
    latencies, errors, sent = [], 0, 0
    deadline = time.perf_counter() + max_seconds

    async def worker():
        nonlocal errors, sent
        connection = Connection(url)
        while sent < count and time.perf_counter() < deadline:
            body = payloads[sent % len(payloads)]
            sent += 1
            start = time.perf_counter()
            try:
                ok = await asyncio.wait_for(connection.post(endpoint, body, "image/png"), 30) == 200
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError):
                ok = False
                connection.close()
            latencies.append(time.perf_counter() - start)
            errors += not ok
        connection.close()

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - start, time.process_time() - cpu


def run(workers, args, payloads) -> dict:
    with running(workers=workers, model=args.model) as (url, process):
        asyncio.run(load(url, args.endpoint, payloads, args.warmup, args.concurrency, 60))
        before = resident_mib(process.pid)
        latencies, errors, wall, cpu = asyncio.run(
            load(url, args.endpoint, payloads, args.requests, args.concurrency, args.max_seconds))
        after = resident_mib(process.pid)
    ms = sorted(1000 * t for t in latencies)
    return {"workers": workers, "requests": len(ms), "req/s": len(ms) / wall,
            "mean ms": statistics.mean(ms), "p50 ms": statistics.median(ms),
            "p99 ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))],
            "errors": errors, "client CPU ms/request": 1000 * cpu / max(len(ms), 1),
            "RSS before MiB": before, "RSS after MiB": after}


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
