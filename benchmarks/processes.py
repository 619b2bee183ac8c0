"""The servers a measurement starts (Streamlit, nginx): each answers on a free port before it is used, stops after."""
from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """The Streamlit server at url (or a proxy in front of one) answers its health check with ok."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def serving(command: list[str], url: str, log: Path, timeout_s: float, what: str,
            **popen: object) -> Iterator[subprocess.Popen]:
    """Run command (its output appended to log) until url is healthy; stopped on exit.

    One that exits or is not healthy within timeout_s is a RuntimeError with the end of its log.
    """
    with open(log, "a") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   **popen)  # type: ignore[call-overload]
    try:
        deadline = time.monotonic() + timeout_s
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not come up (exit code {process.poll()}): {log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
