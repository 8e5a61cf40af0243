"""The web app: a drawing page and a JSON API over digits.predict and digits.read.

``create_app(model)`` loads the model once and returns a FastAPI app; ``python -m
digits serve`` runs it under uvicorn. Images come as a multipart file or as the raw
request body. Bad input gets a 4xx JSON ``{"error": message}`` and the server goes on.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .predict import MIN_CONFIDENCE, classify, resolve_model
from .runtime import default_model_path
from .preprocess import ImageError, NoDigitError, TooLargeError, UnreadableError, to_mnist
from .read import read

MAX_REQUEST_BYTES = 10_000_000     # larger request bodies are refused with 413
STATIC = Path(__file__).resolve().parent / "static"
MODEL_ENV = "DIGITS_MODEL"          # how `serve --workers N` tells each worker its checkpoint

IMAGE_BODY = {   # for /docs: both ways of sending an image
    "requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"}}}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
    }}
}


class RequestError(Exception):
    """A request we refuse: its HTTP status and a message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _status_of(error: ImageError) -> int:
    if isinstance(error, TooLargeError):
        return 413
    if isinstance(error, NoDigitError):
        return 422
    return 415 if isinstance(error, UnreadableError) else 400


async def _body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes MAX_REQUEST_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise RequestError(413, f"request body of {int(declared):,} bytes is over the "
                                f"{MAX_REQUEST_BYTES:,}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise RequestError(413, f"request body is over the {MAX_REQUEST_BYTES:,}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def image_bytes(request: Request) -> bytes:
    """The image sent with ``request``: the first file of a multipart form, else the raw body."""
    body = await _body(request)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async def replay():
            return {"type": "http.request", "body": body, "more_body": False}
        try:
            form = await Request(request.scope, replay).form(max_files=1, max_fields=8)
        except Exception as e:  # malformed multipart, too many parts
            raise RequestError(400, f"malformed multipart form: {getattr(e, 'detail', e)}") from None
        files = [value for value in form.values() if hasattr(value, "read")]
        if not files:
            raise RequestError(400, "the multipart form holds no file: send the image in a field named 'file'")
        body = await files[0].read()
        await form.close()
    if not body:
        raise RequestError(400, "empty request: no image data (send an image file as the body "
                                "or as the multipart field 'file')")
    return body


def _prediction(data: bytes, model, details: bool, min_confidence) -> dict:
    framed = to_mnist(data)                                         # (28, 28) in [0, 1]
    p = classify(framed[None], model, min_confidence)[0]
    answer = {"digit": p.digit, "probability": round(p.probability, 6),
              "probabilities": [round(q, 6) for q in p.probabilities], "accepted": p.accepted,
              "typical": p.typical}
    if details:
        answer["input"] = (framed * 255).round().astype("uint8").tolist()
    return answer


def _reading(data: bytes, model, min_confidence) -> dict:
    reading = read(data, model, min_confidence)
    return {"text": reading.text,
            "digits": [{"digit": d, "probability": round(p, 6), "box": list(box)}
                       for d, p, box in reading.digits],
            "confidence": round(reading.confidence, 6), "accepted": reading.accepted,
            "doubtful": reading.doubtful}


def create_app(model=None) -> FastAPI:
    """The app, with ``model`` (a checkpoint path, a module, or None for the shipped best)
    loaded once, now.

    Images are recognised one at a time on a single thread of their own (``app.state.worker``),
    however many requests are in flight: the work is CPU-bound and holds the GIL most of the
    time, so a pool of threads (Starlette's has 40) gains nothing but memory, one decoded
    image per thread at once (a 40-megapixel upload alone takes hundreds of MB to clean). The
    event loop stays free to take requests and answer /healthz meanwhile; ``--workers`` adds
    processes."""
    network = resolve_model(model)
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digits-model")

    @asynccontextmanager
    async def lifespan(app):
        yield
        worker.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="digits", description="Handwritten-digit recognition: draw, upload, or POST an image.",
                  lifespan=lifespan)
    app.state.worker = worker

    async def on_worker(work, *args):
        return await asyncio.get_running_loop().run_in_executor(worker, work, *args)

    @app.exception_handler(RequestError)
    async def refused(request, error: RequestError):
        return JSONResponse({"error": error.message}, status_code=error.status)

    @app.exception_handler(ImageError)
    async def bad_image(request, error: ImageError):
        return JSONResponse({"error": str(error)}, status_code=_status_of(error))

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request, error: RequestValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return JSONResponse({"error": problems}, status_code=422)

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz")
    async def healthz():
        """Liveness: which model is loaded."""
        return {"status": "ok", "model": network.name, "architecture": network.architecture,
                "runtime": network.kind}

    @app.post("/api/predict", openapi_extra=IMAGE_BODY)
    async def api_predict(request: Request, details: bool = False,
                          min_confidence: float = Query(MIN_CONFIDENCE, ge=0, le=1)):
        """One digit: ``{"digit", "probability", "probabilities", "accepted", "typical"}``
        (calibrated; ``accepted`` is false below ``min_confidence`` or when the image is not
        ``typical`` of the digits the model learnt from); with ``?details=true`` also
        ``"input"``, the 28x28 image (0-255, ink bright) the model saw."""
        data = await image_bytes(request)
        return await on_worker(_prediction, data, network, details, min_confidence)

    @app.post("/api/read", openapi_extra=IMAGE_BODY)
    async def api_read(request: Request, min_confidence: float = Query(MIN_CONFIDENCE, ge=0, le=1)):
        """A line of digits: ``{"text", "digits": [{"digit", "probability", "box"}], "confidence",
        "accepted", "doubtful"}``, boxes as [left, top, right, bottom] in image pixels,
        ``doubtful`` the positions of digits below ``min_confidence`` or atypical; an image without
        digits reads as "" (not accepted)."""
        data = await image_bytes(request)
        return await on_worker(_reading, data, network, min_confidence)

    return app


def one_thread():
    """Run the model on one thread per process: requests are served in parallel, and the
    model's own threads would only fight them for the cores. ONNX sessions are made with
    one thread; PyTorch, if a .pth model loaded it, is told here."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def app_from_environment() -> FastAPI:
    """The app for each uvicorn worker process, its checkpoint named by $DIGITS_MODEL."""
    app = create_app(os.environ.get(MODEL_ENV) or None)
    one_thread()
    return app


def serve(host="127.0.0.1", port=8000, model=None, workers=1):
    """Run the app under uvicorn until interrupted; the model on one thread per process.

    ``workers`` > 1 starts that many processes, each listening on a socket of its own bound to
    the same port (SO_REUSEPORT), so that the kernel spreads new connections over them. On one
    shared socket, as uvicorn's own ``--workers`` has it, whichever process woke first accepted
    every connection waiting: 16 opened together went 13 to 3, or all 16 to one process while
    the other idled. A worker that dies is started again."""
    import uvicorn
    path = str(Path(model) if model else default_model_path())
    resolve_model(path)                        # a bad checkpoint fails here, once, clearly
    one_thread()
    if workers == 1:
        uvicorn.run(create_app(path), host=host, port=port)
        return
    if not hasattr(socket, "SO_REUSEPORT"):
        raise SystemExit("error: --workers needs sockets that share a port (SO_REUSEPORT, as on Linux); "
                         "run one worker per port here instead")
    os.environ[MODEL_ENV] = path
    try:                                       # a port in use (even by another server that
        listening(host, port, shared=False).close()   # shares it) fails here, once, clearly
    except OSError as e:
        raise SystemExit(f"error: cannot listen on {host}:{port}: {e.strerror or e}") from None
    _supervise(workers, host, port)


def listening(host: str, port: int, shared: bool = True) -> socket.socket:
    """A TCP socket bound to (host, port) that other processes may bind too (SO_REUSEPORT;
    ``shared`` False: not), and that sends small replies at once: TCP_NODELAY, which Linux passes
    on to each connection it accepts (without it every reply waited about 40 ms for the client's
    delayed acknowledgement)."""
    family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                            proto=socket.IPPROTO_TCP)[0]
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, int(shared))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _worker(host: str, port: int):
    """One worker process: the app (its checkpoint named by $DIGITS_MODEL) on a socket of its own."""
    import uvicorn
    config = uvicorn.Config("digits.server:app_from_environment", factory=True, host=host, port=port)
    uvicorn.Server(config).run(sockets=[listening(host, port)])


def _supervise(workers: int, host: str, port: int, crash_seconds: float = 10):
    """Start the worker processes and keep them running until SIGINT or SIGTERM; then stop them.
    A worker that dies is started again, unless it dies within ``crash_seconds`` of starting
    (it would only die again): then all stop and the error says so."""
    import multiprocessing
    import signal
    import threading
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def start():
        process = spawn.Process(target=_worker, args=(host, port), name="digits-serve-worker")
        process.start()
        return process, time.monotonic()

    processes = [start() for _ in range(workers)]
    try:
        while not stop.wait(0.5):
            for i, (process, started) in enumerate(processes):
                if not process.is_alive():
                    if time.monotonic() - started < crash_seconds:
                        raise SystemExit(f"error: a server worker exited {process.exitcode} at start")
                    print(f"a server worker exited ({process.exitcode}); starting another", file=sys.stderr)
                    processes[i] = start()
    finally:
        for process, _ in processes:
            if process.is_alive():
                process.terminate()
        for process, _ in processes:
            process.join(20)
            if process.is_alive():
                process.kill()


LISTEN, ESTABLISHED = "0A", "01"     # TCP states as /proc/net/tcp writes them


def tcp_sockets(port: int, state: str) -> set[str] | None:
    """The inodes of the IPv4 TCP sockets in ``state`` whose local port is ``port`` (from Linux's
    /proc/net/tcp); None where that cannot be read."""
    try:
        rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    except OSError:
        return None
    return {row[9] for row in rows if row[3] == state and int(row[1].split(":")[1], 16) == port}


@contextmanager
def running(port=None, workers=1, model=None, startup_seconds=90):
    """``python -m digits serve`` in a subprocess on 127.0.0.1; yields (base URL, process).

    Waits until /healthz answers and every worker listens (else the connections opened
    first would all go to the first worker up); stops the server on exit.
    """
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    command = [sys.executable, "-m", "digits", "serve", "--port", str(port), "--workers", str(workers)]
    if model is not None:
        command += ["--model", str(model)]
    log = tempfile.TemporaryFile()             # not a pipe: one nobody reads fills and blocks the server
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                listeners = tcp_sockets(port, LISTEN)
                if listeners is None or len(listeners) >= workers:
                    break
                raise OSError("not every worker listens yet")
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    log.seek(0)
                    raise RuntimeError("the server did not start: "
                                       + log.read().decode(errors="replace")[-2000:]) from None
                time.sleep(0.25)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
