"""A class at once: real Chromium sessions against one `streamlit run Home.py` server (cold start, load, memory).

Three measurements, each against a server started the way a deployment starts it:

- **cold start**: from spawning `streamlit run Home.py` to the home page fully rendered in a browser
  (script finished, every visible chart drawn). The browser is started before the clock.
- **same page**: then `sessions` browser contexts (separate sessions, like separate students) open
  the same chapter at its defaults at once. Each must render without an exception box; the
  server's run log (ui/runners.py, `LESSON_RUN_LOG`) must show each experiment computed once,
  however many sessions asked for it while it trained; and each session's time to rendered counts.
- **all pages**: a fresh server, one session per page of the lesson map (whatever pages exist when
  it runs) at once: no exception, time to rendered, and the server's peak memory after rendering
  every page.

Peak memory is the server process's high-water mark (VmHWM in /proc/<pid>/status, Linux), plus
its child processes' if it has any. The browsers run on the same machine as the server here, so
on a 2-core machine they take CPU from it: the times are an upper bound for a classroom whose
students each bring their own computer.
"""
from __future__ import annotations

import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.workloads import Figure
from ui.lesson_map import APP_ROOT, CHAPTERS
from ui.runners import RUN_LOG

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 # every session is a tab nobody looks at: without these, Chromium throttles their timers and
                 # rendering as background tabs (1 wake-up a second), which measures the browser, not the server
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
SAME_PAGE = "pages/2_Learning_cycle.py"  # trains three experiments at its defaults: a real computation to share
VIEWPORT = {"width": 1400, "height": 900}
SESSION_TIMEOUT_S = 120
SERVER_START_TIMEOUT_S = 60
NAMES = ("load.cold_start_s", "load.same_page", "load.all_pages")  # prefixes of every figure this module reports

# Checked against Streamlit 1.67's frontend: the app root's data-test-script-state goes "initial" ->
# "running" -> "notRunning"; a chart is an stVegaLiteChart that holds a canvas (or svg.marks) once drawn,
# and an stSkeleton while its code still loads. Charts in closed tabs or expanders are not waited for.
RENDERED_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || !document.querySelector('[data-testid="stMain"]')) return false;
    if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
    const visible = (el) => el.getClientRects().length > 0;
    const loading = Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stSkeleton"]'));
    const charts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]')).filter(visible);
    return loading.filter(visible).length === 0 && charts.every(c => c.querySelector('canvas, svg.marks'));
}"""


@dataclass(frozen=True)
class Session:
    """One browser session's outcome: seconds to rendered (or to giving up), and what went wrong ('' if nothing)."""

    url: str
    seconds: float  # to fully rendered in the browser
    server_s: float  # to the server's script_finished message
    problem: str
    charts: int


def url_path(page: str) -> str:
    """The URL path Streamlit gives a page file: 'pages/2_Learning_cycle.py' -> 'Learning_cycle'."""
    return re.sub(r"^\d+_", "", Path(page).stem)


def lesson_pages() -> list[str]:
    """Home and every chapter page that exists now, as script paths relative to the app root."""
    return ["Home.py", *(chapter.page for chapter in CHAPTERS if chapter.linkable)]


def peak_mb(pid: int) -> float:
    """High-water mark of resident memory of a process and its children, in MB (1 MB = 2**20 bytes)."""
    kb = 0
    for p in [pid, *_children(pid)]:
        status = Path(f"/proc/{p}/status").read_text()
        kb += int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1))
    return kb / 1024


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def extra_computations(log: list[str]) -> int:
    """Computations beyond one per distinct experiment: each log line names a function and a digest of its config."""
    return len(log) - len(set(log))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    run_log: Path

    def computations(self) -> list[str]:
        return self.run_log.read_text().splitlines() if self.run_log.exists() else []


@contextmanager
def server(workdir: Path) -> Iterator[Server]:
    """`streamlit run Home.py` on a free port, its log and run log in workdir; stopped on exit."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, RUN_LOG: str(workdir / "runs.log")}
    with open(workdir / "streamlit.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=APP_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not come up (exit code {process.poll()}): "
                                   f"{(workdir / 'streamlit.log').read_text()[-500:]}")
            time.sleep(0.1)
        yield Server(url, process, workdir / "runs.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _visit(page, url: str) -> Session:
    """Open url in a ready browser page; seconds until the script finished and every visible chart is drawn.

    Also the seconds until the server's last `script_finished` message reached the browser (read from the
    websocket's frames, before the browser's own rendering): the server's share of the wait.
    """
    start = time.perf_counter()
    finished: list[float] = []

    def on_frame(payload: bytes | str) -> None:
        if isinstance(payload, bytes) and ForwardMsg.FromString(payload).WhichOneof("type") == "script_finished":
            finished.append(time.perf_counter() - start)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    problem = ""
    try:
        await page.goto(url, wait_until="domcontentloaded", timeout=SESSION_TIMEOUT_S * 1000)
        await page.wait_for_function(RENDERED_JS, timeout=SESSION_TIMEOUT_S * 1000, polling=100)
    except PlaywrightError as error:  # a timeout (the page never finished rendering), a refused connection
        problem = f"not rendered within {SESSION_TIMEOUT_S} s ({type(error).__name__})"
    seconds = time.perf_counter() - start
    exceptions = page.locator('[data-testid="stException"]')
    if await exceptions.count():
        problem = f"exception box: {(await exceptions.first.inner_text()).strip().splitlines()[0]}"
    charts = await page.locator('[data-testid="stVegaLiteChart"]').count()
    return Session(url, seconds, finished[-1] if finished else seconds, problem, charts)


async def _visit_all(browser, urls: list[str]) -> list[Session]:
    """One new browser context (a separate Streamlit session) per URL, all opened at the same moment."""
    contexts = [await browser.new_context(viewport=VIEWPORT) for _ in urls]
    pages = [await context.new_page() for context in contexts]
    try:
        return list(await asyncio.gather(*(_visit(page, url) for page, url in zip(pages, urls))))
    finally:
        for context in contexts:
            await context.close()


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _figures(prefix: str, sessions: list[Session], srv: Server, cpu: float, note: str) -> list[Figure]:
    """A scenario's figures: sessions, slowest and median time (browser and server), failures, server CPU and memory."""
    failed = [f"{s.url}: {s.problem}" for s in sessions if s.problem]
    slowest = max(sessions, key=lambda s: s.seconds)
    return [
        Figure(f"{prefix}.sessions", float(len(sessions)), "sessions", "state", note),
        Figure(f"{prefix}.max_s", slowest.seconds, "s", "<= 10",
               f"slowest to fully rendered in Chromium: /{slowest.url.split('/', 3)[-1]}"),
        Figure(f"{prefix}.median_s", statistics.median(s.seconds for s in sessions), "s", "state",
               "to fully rendered in Chromium"),
        Figure(f"{prefix}.server_max_s", max(s.server_s for s in sessions), "s", "<= 10",
               "slowest to the server's script_finished"),
        Figure(f"{prefix}.failed", float(len(failed)), "sessions", "<= 0", "; ".join(failed)[:300]),
        Figure(f"{prefix}.server_cpu_s", cpu_s(srv.process.pid) - cpu, "s", "state", "the server's CPU time meanwhile"),
        Figure(f"{prefix}.peak_mb", peak_mb(srv.process.pid), "MB", "<= 1200", "server VmHWM"),
    ]


async def _measure(sessions: int) -> list[Figure]:
    from playwright.async_api import async_playwright

    figures = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport=VIEWPORT)
        home = await context.new_page()
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            with server(Path(tmp)) as srv:
                first = await _visit(home, srv.url)
                figures.append(Figure("load.cold_start_s", None if first.problem else time.perf_counter() - start, "s",
                                      "state", first.problem or "spawn `streamlit run Home.py` -> Home rendered"))
                await context.close()
                before, cpu = len(srv.computations()), cpu_s(srv.process.pid)
                same = await _visit_all(browser, [f"{srv.url}/{url_path(SAME_PAGE)}"] * sessions)
                figures += _figures("load.same_page", same, srv, cpu,
                                    f"{sessions} sessions on /{url_path(SAME_PAGE)} at defaults, at once")
                log = srv.computations()[before:]
                figures += [Figure("load.same_page.computations", float(len(log)), "runs", "state",
                                   f"{len(set(log))} distinct experiments"),
                            Figure("load.same_page.extra_computations", float(extra_computations(log)), "runs",
                                   "<= 0", "computations beyond one per distinct experiment")]
        with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as srv:
            pages, cpu = lesson_pages(), cpu_s(srv.process.pid)
            every = await _visit_all(browser, [f"{srv.url}/{url_path(p) if p != 'Home.py' else ''}" for p in pages])
            figures += _figures("load.all_pages", every, srv, cpu, f"one session on each of {len(pages)} pages, at once")
        await browser.close()
    return figures


def workload(sessions: int = 10) -> list[Figure]:
    """The load figures; one error figure per scenario where the machine cannot run them (no Chromium, no /proc)."""
    if not CHROMIUM.exists() or not Path("/proc/self/status").exists():
        why = f"needs {CHROMIUM} and Linux /proc" if Path("/proc").exists() else "needs Linux /proc"
        return [Figure(name, None, "", "state", why) for name in NAMES]
    try:
        return asyncio.run(_measure(sessions))
    except (RuntimeError, OSError, PlaywrightError) as error:  # a server that does not start, a browser that cannot
        return [Figure(name, None, "", "state", f"{type(error).__name__}: {error}"[:300]) for name in NAMES]
