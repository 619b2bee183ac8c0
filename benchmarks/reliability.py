"""A class that misbehaves, against a real `streamlit run Home.py` server (issue 19): the `reliability.*` figures.

Two scenarios, each on a fresh server whose home page was opened once, with students played by websocket
clients that send what a recorded Chromium session sent (benchmarks/load.py's replay):

- **heavy**: eight students press the FCN page's "Train it" at once, each for a recipe of their own (two
  decoders x four seeds: eight real trainings, none shared). The heavy runs are admitted a few at a time
  (ui/runners.Admission); meanwhile other students open four pages nobody opened yet, one after another,
  each computing its default experiments (the server does not read the shipped ones: `load.COMPUTING`).
  Figures: the slowest of those quick pages (target 10 s), the server's peak memory while it all happens
  (target 1.5 GB), how many trainings waited in line, how many finished in the window, no failed session.
- **flood**: four websocket connections send a rerun 20 times a second (a script, not a person), and one of
  them Streamlit's clear-cache message every 2 s, while other students open warm pages, one every second.
  Figures: the slowest of those pages (target 3 s), the health check's slowest answer, computations beyond
  one per experiment (target 0: the clear-cache message empties nothing the app computes), failures.

The recordings (the heavy press is a click in Chromium) are made on a server of their own, so that the
measured servers start with nothing cached.
"""
from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from benchmarks import load
from benchmarks.workloads import Figure
from core.zoo import fcn

NAMES = ("reliability.heavy", "reliability.flood")
HEAVY_PAGE = "/Zoo_FCN_segmentation"
HEAVY_RECIPES = [(up, seed) for up in fcn.UPSAMPLING for seed in range(4)]  # eight trainings, none shared
HEAVY_WINDOW_S = 45.0  # how long the eight are watched: the quick pages and the memory peak fall inside it
QUICK_PAGES = ("/Local_minima_and_optimizers", "/Vanishing_gradients_and_batch_normalization",
               "/Regularization_and_data_augmentation", "/Neurons_and_layers")
FLOODERS, FLOOD_RATE, CLEAR_EVERY_S, FLOOD_S = 4, 20.0, 2.0, 20.0
WARM_PAGES = ("/Learning_cycle", "", "/Preprocessing", "/Zoo_CNN")
EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN


async def _press_recording(browser, base: str) -> tuple[bytes, bytes]:
    """The two messages a browser sends to train its own FCN: open the page (own training on), press the button."""
    context = await browser.new_context(viewport=load.VIEWPORT)
    page = await context.new_page()
    sent: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda m: sent.append(m) if isinstance(m, bytes) else None))
    try:
        await page.goto(f"{base}{HEAVY_PAGE}?fcn-own=true", wait_until="domcontentloaded")
        await page.wait_for_function(load.RENDERED_JS, timeout=load.SESSION_TIMEOUT_S * 1000, polling=100)
        await page.get_by_role("button", name="Train it").click()
        await asyncio.sleep(1.0)
    finally:
        await context.close()  # the recording server's training stops with the tab
    reruns = [m for m in sent if BackMsg.FromString(m).WhichOneof("type") == "rerun_script"]
    if len(reruns) < 2:
        raise RuntimeError(f"recording the FCN press: {len(reruns)} reruns sent, 2 expected")
    return reruns[0], reruns[-1]


def _for_recipe(message: bytes, up: str, seed: int) -> bytes:
    """A recorded rerun message with the decoder and the seed set to this student's, in the URL and the widgets."""
    msg = BackMsg.FromString(message)
    msg.rerun_script.query_string = urllib.parse.urlencode({"fcn-own": "true", "fcn-up": up, "fcn-seed": seed})
    for widget in msg.rerun_script.widget_states.widgets:
        if widget.id.endswith("-fcn-seed"):
            widget.int_value = seed
        elif widget.id.endswith("-fcn-up"):
            widget.string_value = up
    return msg.SerializeToString()


async def _heavy_student(base: str, opening: bytes, press: bytes, until: float) -> dict[str, float | str]:
    """Open the page, press once its script finished, then read until `until`: waited in line? finished?"""
    outcome: dict[str, float | str] = {"waited": 0.0, "finished": 0.0, "problem": ""}
    try:
        async with connect(load.ws_url(base), origin=base, subprotocols=["streamlit"], max_size=None) as ws:
            await ws.send(opening)
            pressed = False
            async with asyncio.timeout(max(until - time.perf_counter(), 1.0)):
                async for frame in ws:
                    message = ForwardMsg.FromString(frame)
                    element = load._new_element(message)
                    if element is not None and element.WhichOneof("type") == "progress" \
                            and "in line" in element.progress.text:
                        outcome["waited"] = 1.0
                    if element is not None and element.WhichOneof("type") == "exception":
                        outcome["problem"] = f"exception box: {element.exception.message}"[:200]
                    if message.WhichOneof("type") == "script_finished" and message.script_finished != EARLY:
                        if pressed:
                            outcome["finished"] = 1.0
                            break
                        await ws.send(press)
                        pressed = True
    except TimeoutError:
        pass  # still training or waiting when the window closed: what the scenario watches
    except (OSError, WebSocketException) as error:
        outcome["problem"] = f"{type(error).__name__}: {error}"[:200]
    return outcome


async def _heavy(recordings: dict[str, load.Recording], press: tuple[bytes, bytes]) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp, load.server(Path(tmp), env=load.COMPUTING) as srv:
        await load.replay(srv.url, recordings[""])  # opened once by the teacher
        start = time.perf_counter()
        until = start + HEAVY_WINDOW_S
        students = [asyncio.create_task(_heavy_student(srv.url, _for_recipe(press[0], up, seed),
                                                       _for_recipe(press[1], up, seed), until))
                    for up, seed in HEAVY_RECIPES]
        await asyncio.sleep(3.0)  # the presses are in: the first trainings run, the others wait in line
        quick = []
        for path in QUICK_PAGES:
            quick.append(await load.replay(srv.url, recordings[path]))
        heavy = await asyncio.gather(*students)
        peak = load.peak_mb(srv.process.pid)
    failed = [f"{s.url}: {s.problem}" for s in quick if s.problem] + [str(h["problem"]) for h in heavy if h["problem"]]
    slowest = max(quick, key=lambda s: s.seconds)
    return [
        Figure("reliability.heavy.trainings", float(len(heavy)), "sessions", "state",
               f"students pressing 'Train it' on {HEAVY_PAGE} at once, each a recipe of their own"),
        Figure("reliability.heavy.quick_max_s", slowest.seconds, "s", "<= 10",
               f"meanwhile, {len(quick)} pages nobody opened yet, one after another (computing their defaults): "
               f"slowest /{slowest.url.split('/', 3)[-1]}"),
        Figure("reliability.heavy.peak_mb", peak, "MB", "<= 1536", f"server VmHWM during the {HEAVY_WINDOW_S:.0f} s"),
        Figure("reliability.heavy.waited", sum(float(h["waited"]) for h in heavy), "sessions", "state",
               "trainings told their place in line (admitted a few at a time)"),
        Figure("reliability.heavy.finished", sum(float(h["finished"]) for h in heavy), "sessions", "state",
               f"trainings finished within the {HEAVY_WINDOW_S:.0f} s"),
        Figure("reliability.heavy.failed", float(len(failed)), "sessions", "<= 0", "; ".join(failed)[:300]),
    ]


async def _flooder(base: str, rerun: bytes, until: float, clear: bool) -> int:
    """Send `rerun` FLOOD_RATE times a second until `until` (and the clear-cache message every CLEAR_EVERY_S if
    `clear`), reading whatever comes back; the number of reruns sent."""
    clear_cache = BackMsg(clear_cache=True).SerializeToString()
    sent = 0
    with contextlib.suppress(OSError, WebSocketException):
        async with connect(load.ws_url(base), origin=base, subprotocols=["streamlit"], max_size=None) as ws:
            async def drain() -> None:
                async for _ in ws:
                    pass

            reader = asyncio.create_task(drain())
            next_clear = time.perf_counter()
            while time.perf_counter() < until:
                await ws.send(rerun)
                sent += 1
                if clear and time.perf_counter() >= next_clear:
                    await ws.send(clear_cache)
                    next_clear += CLEAR_EVERY_S
                await asyncio.sleep(1 / FLOOD_RATE)
            reader.cancel()
    return sent


def _health_s(base: str) -> float:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=30) as response:
            response.read()
    except OSError:
        return 30.0
    return time.perf_counter() - start


async def _flood(recordings: dict[str, load.Recording]) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp, load.server(Path(tmp)) as srv:
        for path in WARM_PAGES:  # the pages the others open are warm, as in a class under way
            await load.replay(srv.url, recordings[path])
        before = len(srv.computations())
        until = time.perf_counter() + FLOOD_S
        flood_page = recordings["/Learning_cycle"].back_msgs[0]
        flooders = [asyncio.create_task(_flooder(srv.url, flood_page, until, clear=n == 0)) for n in range(FLOODERS)]
        await asyncio.sleep(2.0)  # the flood is under way
        loop = asyncio.get_running_loop()
        pages, health = [], []
        while time.perf_counter() < until - 2:
            health.append(await loop.run_in_executor(None, _health_s, srv.url))
            pages.append(await load.replay(srv.url, recordings[WARM_PAGES[len(pages) % len(WARM_PAGES)]]))
            await asyncio.sleep(1.0)
        sent = sum(await asyncio.gather(*flooders))
        log = srv.computations()[before:]
    failed = [f"{s.url}: {s.problem}" for s in pages if s.problem]
    slowest = max(pages, key=lambda s: s.seconds)
    return [
        Figure("reliability.flood.reruns_sent", float(sent), "reruns", "state",
               f"{FLOODERS} connections x {FLOOD_RATE:.0f} reruns/s for {FLOOD_S:.0f} s, one also clearing the "
               f"caches every {CLEAR_EVERY_S:.0f} s"),
        Figure("reliability.flood.pages", float(len(pages)), "sessions", "state", "warm pages opened meanwhile"),
        Figure("reliability.flood.page_max_s", slowest.seconds, "s", "<= 3",
               f"slowest warm page during the flood: /{slowest.url.split('/', 3)[-1]}"),
        Figure("reliability.flood.health_max_s", max(health), "s", "state", "slowest health check during the flood"),
        Figure("reliability.flood.extra_computations", float(load.extra_computations(log) + len(log)), "runs",
               "<= 0", "computations of the warm pages during the flood (a cleared cache would recompute them)"),
        Figure("reliability.flood.failed", float(len(failed)), "sessions", "<= 0", "; ".join(failed)[:300]),
    ]


async def _measure(scenarios: tuple[str, ...]) -> list[Figure]:
    from playwright.async_api import async_playwright

    heavy = "reliability.heavy" in scenarios
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(load.CHROMIUM),
                                                   args=load.CHROMIUM_ARGS + load.AWAKE_TABS)
        with tempfile.TemporaryDirectory() as tmp, load.server(Path(tmp)) as srv:
            recordings = {path: (await load.record(browser, srv.url, path))[0]
                          for path in ("", *(QUICK_PAGES if heavy else ()), *WARM_PAGES[2:], "/Learning_cycle")}
            press = await _press_recording(browser, srv.url) if heavy else None
        await browser.close()
    return ((await _heavy(recordings, press) if heavy else [])
            + (await _flood(recordings) if "reliability.flood" in scenarios else []))


def workload(scenarios: tuple[str, ...] = NAMES) -> list[Figure]:
    """The figures of `scenarios` (names from NAMES); an error figure per scenario where the machine cannot
    run them."""
    if not load.CHROMIUM.exists() or not Path("/proc/self/status").exists():
        return [Figure(name, None, "", "state", f"needs {load.CHROMIUM} and Linux /proc") for name in scenarios]
    try:
        return asyncio.run(_measure(scenarios))
    except (RuntimeError, OSError, PlaywrightError) as error:
        return [Figure(name, None, "", "state", f"{type(error).__name__}: {error}"[:300]) for name in scenarios]
