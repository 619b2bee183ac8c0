"""A class at once: real Chromium sessions against one `streamlit run Home.py` server (cold start, load, memory).

Each measurement runs against a server started the way a deployment starts it:

- **cold start**: from spawning `streamlit run Home.py` to the home page fully rendered in a browser
  (script finished, every visible chart drawn). The browser is started before the clock.
- **same page**: then `sessions` browser contexts (separate sessions, like separate students) open
  the same chapter at its defaults at once. Each must render without an exception box; the
  server's run log (ui/runners.py, `LESSON_RUN_LOG`) must show each experiment computed once,
  however many sessions asked for it while it trained; and each session's time to rendered counts.
- **one browser**: every page opened alone in one browser (its first visit is also the recording
  below, and computes the page's defaults), then timed on the now warm server as the median of
  `WARM_VISITS` more visits: what a student waits for on a computer like this one.
- **all pages**: a fresh server, its home page opened once, then one session per page of the lesson
  map (whatever pages exist when it runs) at once: no exception, time to rendered, and the server's
  peak memory after rendering every page.
- **blank app**: the control, `sessions` Chromium sessions at once on a one-line Streamlit app.
- **replayed**: the same page and all pages again, each on a fresh server whose home page was opened
  once, with the browsers' requests replayed instead of real browsers (below); and the same page on a
  server nobody opened yet (its first runs also pay for importing torch and the rest), as deployed, with
  the shipped default results (`fresh_server`), and computing them (`fresh_computing`).
- **replicas**: the same-page class replayed through nginx running deploy/nginx.conf (benchmarks/proxy.py) in
  front of two fresh servers opened once: no failed session, no browser whose requests reached both replicas
  (the proxy's sticky cookie, which a replayed session keeps and sends as a browser does), each replica's
  sessions and peak memory. Without nginx on the machine, one error figure says how to install it.

A server reads every page's default results at start (ui/defaults.py), so a class opening a page at its
defaults computes nothing. The scenarios about a class computing together (same page, all pages, the
replicas) and the cold start before them run servers that compute their defaults instead (`COMPUTING`);
`fresh_server` is the one that shows what a deployed server's first students get.

Peak memory is the server process's high-water mark (VmHWM in /proc/<pid>/status, Linux), plus
its child processes' if it has any.

The browsers run on the same machine as the server, and on a small machine they take most of
its CPU: Streamlit's frontend alone costs each fresh Chromium session more CPU than the server
spends on its script (the **blank app** control shows that cost on a one-line Streamlit app), and
a chapter page's charts and equations cost the browser more again. So
each browser scenario also reports the CPU its Chromium processes used (`browser_cpu_s`), and the
two class scenarios run a second time **replayed**: each Chromium session was recorded once (the
same-origin GETs it made, the websocket messages it sent), and every replayed session makes the
same requests, sends the same messages and reads every message the server sends until the script
finished, then fetches the media files those messages name. That is all the server's work for a
student, with none of the rendering, which in a class happens on the students' own computers.
A replayed session's time is until it has everything its browser would draw.

Which figures carry the 10 s target: the replayed class on one page (the server's whole share of
ten students opening the teacher's link at once, the experiment computed during the test). The
in-Chromium times are reported, not judged: there the browsers share the server's cores, so they
measure the browsers as much as the server (compare the blank app). One session on each page at
once is reported too: it computes every page's default experiments at once, a worst case no
class meets, so it has no target. The figures themselves are the run's output, not this docstring's.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.request import HTTPCookieProcessor, build_opener

import torch
from playwright.async_api import Error as PlaywrightError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect  # Streamlit's own dependency
from websockets.exceptions import WebSocketException

from benchmarks import proxy
from benchmarks.processes import free_port, serving
from benchmarks.workloads import Figure
from ui.lesson_map import APP_ROOT, CHAPTERS
from ui.runners import RUN_LOG

CHROMIUM = Path("/usr/bin/chromium")
# Flags for a sandbox-less CI container with no GPU and no reason to talk to Google (the browser tests use them too).
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Every load-test session is a tab nobody looks at: without these, Chromium throttles their timers and rendering
# as background tabs (1 wake-up a second), which measures the browser, not the server.
AWAKE_TABS = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding",
              "--disable-backgrounding-occluded-windows"]
SAME_PAGE = "pages/2_Learning_cycle.py"  # trains three experiments at its defaults: a real computation to share
VIEWPORT = {"width": 1400, "height": 900}
SESSION_TIMEOUT_S = 120
SERVER_START_TIMEOUT_S = 60
# Single sessions on the one-line app, whose median each page is set against, and on each page once its defaults
# are cached, whose median is the page's time: the median of 3 could stray by a quarter of the control's usual time,
# and every page's ratio with it.
BLANK_ALONE = 7
WARM_VISITS = 5
PAGE_VS_BLANK = 2.0  # issue 20: a page drawn within twice the time Streamlit needs for a one-line app
# every figure's prefix
NAMES = ("load.cold_start", "load.same_page", "load.all_pages", "load.one_browser", "load.blank_app", "load.replayed")
REPLICAS = ("load.replicas",)  # two servers behind nginx (benchmarks/proxy.py)
# A server that computes every page's defaults itself instead of reading the shipped ones (ui/defaults.py): the
# scenarios whose point is a class computing together (one experiment computed once for all, memory while computing).
COMPUTING = {"LESSON_SHIPPED_DEFAULTS": "0"}

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
    seconds: float  # to fully rendered in the browser (replayed: to everything the browser needs received)
    server_s: float  # to the server's script_finished message
    problem: str
    charts: int


def url_path(page: str) -> str:
    """The URL path Streamlit gives a page file: 'pages/2_Learning_cycle.py' -> 'Learning_cycle'."""
    return re.sub(r"^\d+_", "", Path(page).stem)


def lesson_pages() -> list[str]:
    """Home and every chapter page, as script paths relative to the app root."""
    return ["Home.py", *(chapter.page for chapter in CHAPTERS)]


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


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    run_log: Path

    def computations(self) -> list[str]:
        return self.run_log.read_text().splitlines() if self.run_log.exists() else []


@contextmanager
def server(workdir: Path, app_root: Path = APP_ROOT, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`streamlit run Home.py` in app_root on a free port, its log and run log in workdir; stopped on exit.

    `env` adds to (or overrides) this process's environment for the server. A server that does not come up
    is a RuntimeError with the end of its log.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **(env or {}), RUN_LOG: str(workdir / "runs.log")}
    command = [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.port", str(port), "--server.address",
               "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with serving(command, url, workdir / "streamlit.log", SERVER_START_TIMEOUT_S, "the server",
                 cwd=app_root, env=env) as process:
        yield Server(url, process, workdir / "runs.log")


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


async def _visit_all(browser, urls: list[str]) -> tuple[list[Session], float]:
    """One new browser context (a separate Streamlit session) per URL, all opened at the same moment.

    Also the CPU seconds our Chromium processes used meanwhile (read before the contexts close: a
    closed tab's renderer process is gone, and its CPU time with it).
    """
    contexts = [await browser.new_context(viewport=VIEWPORT) for _ in urls]
    pages = [await context.new_page() for context in contexts]
    try:
        cpu = _tree_cpu_s(os.getpid())
        sessions = list(await asyncio.gather(*(_visit(page, url) for page, url in zip(pages, urls))))
        return sessions, _tree_cpu_s(os.getpid()) - cpu
    finally:
        for context in contexts:
            await context.close()


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process's descendants still running (here: Playwright's driver and its Chromium)."""
    total = 0.0
    for child in _children(pid):
        with contextlib.suppress(OSError):  # ended since it was listed
            total += cpu_s(child)
    return total


MEDIA = re.compile(rb"/media/[0-9a-f]+\.[a-z0-9]+")  # a media file's URL path in a ForwardMsg (st.image and the like)
PARALLEL_GETS = 6  # a browser's connections per host over HTTP/1.1


@dataclass(frozen=True)
class Recording:
    """What one Chromium session asked of the server to show a page: its same-origin GETs that succeeded
    (paths, in order, without the session's own media files) and the messages it sent on the websocket.
    (Streamlit's frontend also probes /<page>/_stcore/health and the like, which answer 404.)"""

    path: str
    gets: tuple[str, ...]
    back_msgs: tuple[bytes, ...]


async def record(browser, base: str, path: str) -> tuple[Recording, Session]:
    """Open base + path in a fresh browser context and keep what it asked of the server; also that session
    (one browser alone on the server: what a student waits for on a computer like this one)."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    gets: list[str] = []
    sent: list[bytes] = []
    page.on("response", lambda r: gets.append(r.url) if r.request.method == "GET" and r.ok else None)
    page.on("websocket", lambda ws: ws.on("framesent", lambda m: sent.append(m) if isinstance(m, bytes) else None))
    try:
        session = await _visit(page, base + path)
    finally:
        await context.close()
    if session.problem or not sent:
        raise RuntimeError(f"recording {path or '/'} failed: {session.problem or 'the browser sent no message'}")
    own = [u[len(base):] for u in gets if u.startswith(base + "/")]
    return Recording(path, tuple(u for u in own if not MEDIA.match(u.encode())), tuple(sent)), session


def _get(url: str, cookies: CookieJar) -> int:
    """GET url like a browser (compressed if the server offers it, with its cookies), read the body; its size."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate"})
    with build_opener(HTTPCookieProcessor(cookies)).open(request, timeout=SESSION_TIMEOUT_S) as response:
        return len(response.read())


def _new_element(message: ForwardMsg) -> Any:
    """The element a message draws (a streamlit.proto Element), or None."""
    if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
        return message.delta.new_element
    return None


def ws_url(base: str) -> str:
    """The websocket a session of the server at `base` talks over."""
    return "ws" + base.removeprefix("http") + "/_stcore/stream"


async def replay(base: str, recording: Recording) -> Session:
    """One session the way the recorded browser asked for it, without a browser; see the module's docstring."""
    start = time.perf_counter()
    loop = asyncio.get_running_loop()
    problem, charts, media = "", 0, set()
    early = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
    server_s = None
    cookies = CookieJar()  # what a browser keeps between requests, e.g. a proxy's sticky-session cookie
    first, rest = recording.gets[:1], recording.gets[1:]  # the document, then what it names, as a browser loads them
    try:
        with ThreadPoolExecutor(PARALLEL_GETS) as pool:
            for paths in (first, rest):
                await asyncio.gather(*(loop.run_in_executor(pool, _get, base + path, cookies) for path in paths))
            cookie = "; ".join(f"{c.name}={c.value}" for c in cookies)
            headers = {"Cookie": cookie} if cookie else None
            async with asyncio.timeout(SESSION_TIMEOUT_S), connect(ws_url(base), origin=base,
                                                                   subprotocols=["streamlit"],
                                                                   additional_headers=headers, max_size=None) as ws:
                for back_msg in recording.back_msgs:
                    await ws.send(back_msg)
                async for frame in ws:
                    message = ForwardMsg.FromString(frame)
                    if (element := _new_element(message)) is not None:
                        kind = element.WhichOneof("type") or ""
                        charts += "vega_lite_chart" in kind
                        if kind == "exception" and not problem:
                            problem = f"exception box: {element.exception.type}: {element.exception.message}"[:200]
                    media.update(m.decode() for m in MEDIA.findall(frame))
                    if message.WhichOneof("type") == "script_finished" and message.script_finished != early:
                        server_s = time.perf_counter() - start
                        break
            await asyncio.gather(*(loop.run_in_executor(pool, _get, base + path, cookies) for path in sorted(media)))
    except (OSError, WebSocketException, TimeoutError) as error:
        problem = problem or f"{type(error).__name__}: {error}"[:200]
    seconds = time.perf_counter() - start
    if server_s is None:
        problem = problem or "the script never finished"
    return Session(f"{base}{recording.path}", seconds, server_s or seconds, problem, charts)


async def replay_all(base: str, recordings: list[Recording]) -> list[Session]:
    """The recorded sessions replayed against base, all at the same moment."""
    return list(await asyncio.gather(*(replay(base, r) for r in recordings)))


def _session_figures(prefix: str, sessions: list[Session], note: str, in_chromium: bool,
                     max_target: str) -> list[Figure]:
    """A class's figures: sessions, slowest and median time (browser and server), failures.
    `max_target` judges the slowest time (see the module's docstring for which scenario it is)."""
    failed = [f"{s.url}: {s.problem}" for s in sessions if s.problem]
    slowest = max(sessions, key=lambda s: s.seconds)
    where = "in Chromium on the server's cores" if in_chromium else "replayed (everything the browser needs received)"
    figures = [
        Figure(f"{prefix}.sessions", float(len(sessions)), "sessions", "state", note),
        Figure(f"{prefix}.max_s", slowest.seconds, "s", max_target,
               f"slowest to fully rendered {where}: /{slowest.url.split('/', 3)[-1]}"),
        Figure(f"{prefix}.median_s", statistics.median(s.seconds for s in sessions), "s", "state", where),
    ]
    if in_chromium:
        figures.append(Figure(f"{prefix}.server_max_s", max(s.server_s for s in sessions), "s", "state",
                              "slowest to the server's script_finished, as the browser received it"))
    return figures + [Figure(f"{prefix}.failed", float(len(failed)), "sessions", "<= 0", "; ".join(failed)[:300])]


def _figures(prefix: str, sessions: list[Session], srv: Server, cpu: float, note: str,
             browser_cpu: float | None = None, max_target: str = "state") -> list[Figure]:
    """A scenario on one server: the class's figures (above), then the server's CPU and memory."""
    in_chromium = browser_cpu is not None
    figures = _session_figures(prefix, sessions, note, in_chromium, max_target)
    figures.append(Figure(f"{prefix}.server_cpu_s", cpu_s(srv.process.pid) - cpu, "s", "state",
                          "the server's CPU time meanwhile"))
    if in_chromium:
        figures.append(Figure(f"{prefix}.browser_cpu_s", browser_cpu, "s", "state",
                              "the Chromium processes' CPU time meanwhile, on the same 2 cores"))
    return figures + [Figure(f"{prefix}.peak_mb", peak_mb(srv.process.pid), "MB", "<= 1200", "server VmHWM")]


def _computation_figures(prefix: str, log: list[str]) -> list[Figure]:
    return [Figure(f"{prefix}.computations", float(len(log)), "runs", "state", f"{len(set(log))} distinct experiments"),
            Figure(f"{prefix}.extra_computations", float(extra_computations(log)), "runs", "<= 0",
                   "computations beyond one per distinct experiment")]


BLANK_APP = 'import streamlit as st\n\nst.title("Blank")\nst.write("One line of text.")\n'
# The control with the app's own server fix (Nagle off, ui/streamlit_internals 7.): the pages are also set against it,
# so the table shows how much of their lead over the plain one-line app that fix alone is.
BLANK_APP_NO_DELAY = (BLANK_APP + f"\nimport sys\n\nsys.path.insert(0, {str(APP_ROOT)!r})\n"
                      "from ui.streamlit_internals import send_without_delay\n\nsend_without_delay()\n")


@contextmanager
def _one_file_app(app: str) -> Iterator[Server]:
    """A server of the app whose Home.py is the text `app`, in a directory of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Home.py").write_text(app)
        with server(Path(tmp), app_root=Path(tmp)) as srv:
            yield srv


async def _alone_s(browser, url: str) -> float:
    """The median of BLANK_ALONE single sessions on the server at `url`, after one that warms it."""
    await _visit_all(browser, [url])  # the first session imports Streamlit's script machinery
    return statistics.median([(await _visit_all(browser, [url]))[0][0].seconds for _ in range(BLANK_ALONE)])


async def _blank_app(browser, sessions: int) -> tuple[list[Figure], float]:
    """The control: `sessions` Chromium sessions at once on a one-line Streamlit app (Streamlit's own cost);
    also the median of BLANK_ALONE sessions one at a time, what each page's own time is set against."""
    with _one_file_app(BLANK_APP) as srv:
        alone = await _alone_s(browser, srv.url)
        cpu = cpu_s(srv.process.pid)
        blank, browser_cpu = await _visit_all(browser, [srv.url] * sessions)
        return [Figure("load.blank_app.max_s", max(s.seconds for s in blank), "s", "state",
                       f"control: {sessions} sessions at once on a one-line Streamlit app, in Chromium"),
                Figure("load.blank_app.browser_cpu_s", browser_cpu, "s", "state", "the Chromium processes' CPU"),
                Figure("load.blank_app.server_cpu_s", cpu_s(srv.process.pid) - cpu, "s", "state",
                       "the server's CPU"),
                Figure("load.blank_app.alone_s", alone, "s", "state",
                       f"one session alone on the one-line app, median of {BLANK_ALONE}")], alone


async def _browser_scenarios(browser, sessions: int, paths: list[str]) -> tuple[list[Figure], dict[str, Recording]]:
    """Cold start, same page, one browser, blank app and all pages, in Chromium; and every page's recording."""
    figures = []
    same_url = "/" + url_path(SAME_PAGE)
    context = await browser.new_context(viewport=VIEWPORT)
    home = await context.new_page()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with server(Path(tmp), env=COMPUTING) as srv:
            first = await _visit(home, srv.url)
            figures.append(Figure("load.cold_start_s", None if first.problem else time.perf_counter() - start, "s",
                                  "state", first.problem or "spawn `streamlit run Home.py` -> Home rendered"))
            figures.append(Figure("load.cold_start.peak_mb", peak_mb(srv.process.pid), "MB", "state",
                                  f"server VmHWM after Home rendered, torch {torch_build()}"))
            await context.close()
            before, cpu = len(srv.computations()), cpu_s(srv.process.pid)
            same, browser_cpu = await _visit_all(browser, [srv.url + same_url] * sessions)
            figures += _figures("load.same_page", same, srv, cpu,
                                f"{sessions} sessions on {same_url} at defaults, at once", browser_cpu)
            figures += _computation_figures("load.same_page", srv.computations()[before:])
            recorded, alone = {}, []
            for path in paths:
                recorded[path] = await record(browser, srv.url, path)  # computes the page's defaults
                warm = [(await _visit_all(browser, [srv.url + path]))[0][0] for _ in range(WARM_VISITS)]
                alone.append(sorted(warm, key=lambda s: s.seconds)[len(warm) // 2])
    slowest = max(alone, key=lambda s: s.seconds)
    slowest_path = slowest.url.split("/", 3)[-1]
    figures += [Figure("load.one_browser.max_s", slowest.seconds, "s", "state",
                       f"one Chromium session alone per page, server warm (median of {WARM_VISITS}): "
                       f"slowest /{slowest_path}"),
                Figure("load.one_browser.median_s", statistics.median(s.seconds for s in alone), "s", "state",
                       "the same, median over the pages"),
                Figure("load.one_browser.failed", float(sum(bool(s.problem) for s in alone)), "sessions", "<= 0",
                       "; ".join(f"{s.url}: {s.problem}" for s in alone if s.problem)[:300])]
    blank_figures, blank_alone = await _blank_app(browser, sessions)
    figures += blank_figures
    ratios = {urllib.parse.urlsplit(s.url).path.strip("/") or "Home": s.seconds / blank_alone for s in alone}
    figures += [Figure(f"load.one_browser.{name}.vs_blank", ratio, "x", f"<= {PAGE_VS_BLANK:g}",
                       "this page alone in Chromium, server warm, over the one-line app alone")
                for name, ratio in ratios.items()]
    figures.append(Figure("load.one_browser.vs_blank_median", statistics.median(ratios.values()), "x",
                          f"<= {PAGE_VS_BLANK:g}", "the same, median over the pages"))
    with _one_file_app(BLANK_APP_NO_DELAY) as srv:
        no_delay = await _alone_s(browser, srv.url)
    figures += [Figure("load.blank_app.no_delay_alone_s", no_delay, "s", "state",
                       "the one-line app with the app's Nagle fix (ui/streamlit_internals 7.), "
                       f"median of {BLANK_ALONE}"),
                Figure("load.one_browser.vs_blank_no_delay_median",
                       statistics.median(s.seconds / no_delay for s in alone), "x", "state",
                       "the pages' median over that app instead: their lead without the fix's share")]
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp), env=COMPUTING) as srv:
        await _visit_all(browser, [srv.url])  # started and opened once, as above
        cpu = cpu_s(srv.process.pid)
        every, browser_cpu = await _visit_all(browser, [srv.url + path for path in paths])
        figures += _figures("load.all_pages", every, srv, cpu,
                            f"one session on each of {len(paths)} pages, at once", browser_cpu)
    return figures, {path: recording for path, (recording, _) in recorded.items()}


async def _recordings(browser, paths: list[str]) -> dict[str, Recording]:
    """Each path recorded in order on one fresh server (the first one opened is its cold start)."""
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as srv:
        return {path: (await record(browser, srv.url, path))[0] for path in paths}


async def _replayed(recordings: dict[str, Recording], sessions: int, paths: list[str]) -> list[Figure]:
    """The same page and all pages replayed, each on a fresh server opened once; the same page on a fresh one."""
    figures = []
    same_url = "/" + url_path(SAME_PAGE)
    for prefix, wave, what, target in (
            ("load.replayed.same_page", [recordings[same_url]] * sessions,
             f"{sessions} sessions on {same_url}", "<= 10"),
            ("load.replayed.all_pages", [recordings[path] for path in paths],
             f"one session on each of {len(paths)} pages", "state")):
        with tempfile.TemporaryDirectory() as tmp, server(Path(tmp), env=COMPUTING) as srv:
            await replay(srv.url, recordings[""])  # started and opened once, like the browser scenarios' cold start
            before, cpu = len(srv.computations()), cpu_s(srv.process.pid)
            figures += _figures(prefix, await replay_all(srv.url, wave), srv, cpu,
                                f"{what} replayed at once, on a fresh server whose home page was opened once",
                                max_target=target)
            figures += _computation_figures(prefix, srv.computations()[before:])
    for prefix, env, how in (("load.replayed.fresh_server", None, "with the shipped default results, as deployed"),
                             ("load.replayed.fresh_computing", COMPUTING, "computing its default experiments")):
        with tempfile.TemporaryDirectory() as tmp, server(Path(tmp), env=env) as srv:
            fresh = await replay_all(srv.url, [recordings[same_url]] * sessions)
            runs = srv.computations()
        figures += [Figure(f"{prefix}.max_s", max(s.seconds for s in fresh), "s", "state",
                           f"{sessions} sessions on {same_url} at once on a server nobody opened yet, {how}: the "
                           "first runs also import torch, pandas, Altair and scikit-learn"),
                    Figure(f"{prefix}.computations", float(len(runs)), "runs", "state",
                           f"{len(set(runs))} distinct experiments"),
                    Figure(f"{prefix}.failed", float(sum(bool(s.problem) for s in fresh)),
                           "sessions", "<= 0", "; ".join(s.problem for s in fresh if s.problem)[:300])]
    return figures


async def _replicas(home: Recording, page: Recording, sessions: int) -> list[Figure]:
    """The same-page class replayed through nginx (deploy/nginx.conf) in front of two fresh servers opened once:
    time to served, each replica's sessions and peak memory, and browsers whose requests reached both."""
    prefix = "load.replicas"
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        replicas = []
        for i in (1, 2):
            (Path(tmp) / f"replica_{i}").mkdir()
            replicas.append(stack.enter_context(server(Path(tmp) / f"replica_{i}", env=COMPUTING)))
        for srv in replicas:
            await replay(srv.url, home)  # each opened once, directly, as a teacher's check would
        before = [len(srv.computations()) for srv in replicas]
        (Path(tmp) / "nginx").mkdir()
        with proxy.nginx(Path(tmp) / "nginx", free_port(), [srv.url.removeprefix("http://") for srv in replicas]) as px:
            served = await replay_all(px.url, [page] * sessions)
        per_replica, split = proxy.routes(px.access_log)
        # Reported, not judged: here both replicas share this machine's cores (each computes the class's experiments)
        figures = _session_figures(prefix, served, f"{sessions} sessions on {page.path} replayed at once through "
                                   "nginx in front of two fresh servers whose home pages were opened once",
                                   in_chromium=False, max_target="state")
        figures.append(Figure(f"{prefix}.split_sessions", float(split), "sessions", "<= 0",
                              "browsers (sticky cookies) whose requests reached both replicas"))
        for i, (srv, start) in enumerate(zip(replicas, before), 1):
            runs = srv.computations()[start:]
            figures += [
                Figure(f"{prefix}.replica_{i}.sessions", float(per_replica[srv.url.removeprefix("http://")]),
                       "sessions", "state", "websockets nginx sent to this replica"),
                Figure(f"{prefix}.replica_{i}.computations", float(len(runs)), "runs", "state",
                       f"{len(set(runs))} distinct experiments: each replica computes its own"),
                Figure(f"{prefix}.replica_{i}.peak_mb", peak_mb(srv.process.pid), "MB", "<= 1200",
                       f"server VmHWM, torch {torch_build()}")]
        return figures


def torch_build() -> str:
    """The torch the servers run (this interpreter's), its build in the version: '2.14.1+cu130' (PyPI's), '+cpu'."""
    return torch.__version__


async def _measure(sessions: int, one_server: bool, replicas: bool) -> list[Figure]:
    from playwright.async_api import async_playwright

    figures: list[Figure] = []
    pages = lesson_pages()
    paths = ["/" + url_path(p) if p != "Home.py" else "" for p in pages]
    same = "/" + url_path(SAME_PAGE)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + AWAKE_TABS)
        if one_server:
            figures, recordings = await _browser_scenarios(browser, sessions, paths)
        else:  # the replicas alone need only these two recordings
            recordings = await _recordings(browser, ["", same])
        await browser.close()
    if one_server:
        figures += await _replayed(recordings, sessions, paths)
    if replicas:
        try:
            figures += await _replicas(recordings[""], recordings[same], sessions)
        except (RuntimeError, OSError, ValueError) as error:  # an nginx or a replica that does not start
            figures.append(Figure(f"{REPLICAS[0]}.sessions", None, "", "state",
                                  f"{type(error).__name__}: {error}"[:300]))
    return figures


def workload(sessions: int = 10, one_server: bool = True, replicas: bool = True) -> list[Figure]:
    """The load figures: the one-server scenarios and/or the replicas behind nginx.
    One error figure per scenario where the machine cannot run them (no Chromium, no /proc, no nginx)."""
    names = (NAMES if one_server else ()) + (REPLICAS if replicas else ())
    if not CHROMIUM.exists() or not Path("/proc/self/status").exists():
        why = f"needs {CHROMIUM} and Linux /proc" if Path("/proc").exists() else "needs Linux /proc"
        return [Figure(name, None, "", "state", why) for name in names]
    no_nginx = [Figure(f"{REPLICAS[0]}.sessions", None, "", "state", f"needs nginx: {proxy.INSTALL}")]
    if replicas and proxy.NGINX is None:  # the benchmark installs nothing; said before anything is recorded
        if not one_server:
            return no_nginx
        return workload(sessions, one_server, replicas=False) + no_nginx
    try:
        return asyncio.run(_measure(sessions, one_server, replicas))
    except (RuntimeError, OSError, PlaywrightError) as error:  # a server that does not start, a browser that cannot
        return [Figure(name, None, "", "state", f"{type(error).__name__}: {error}"[:300]) for name in names]
