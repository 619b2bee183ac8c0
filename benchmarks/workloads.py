"""What the benchmarks measure: page renders (cold / warm), the trainer against a textbook loop,
K variants, live training beside TensorFlow Playground's engine, and the optimizer race and augmentation grid."""
from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from core.data import DataConfig, Dataset, load, plane_box, plane_grid
from core.models import MLPSpec, build_mlp
from core.training import Snapshot, TrainConfig, Variant, fit, fit_many
from ui import defaults, streamlit_internals

ROOT = Path(__file__).resolve().parent.parent
SPEC = MLPSpec(2, (32, 32), 2, "relu")  # the trainer-vs-DataLoader and batched workloads
LIVE_SPEC = MLPSpec(2, (8, 8), 1, "tanh")  # the live workload: a 2-8-8-1 net (the page defaults to 16-16)
GRID = 100  # live decision boundary: GRID x GRID = 10,000 points
# TensorFlow Playground's engine, kept runnable beside the project (its README says what one of its epochs does).
PLAYGROUND = ROOT.parent / "shared" / "playground-engine" / "bench.js"


@dataclass(frozen=True)
class Sizes:
    """How much work each figure does; QUICK is the tiny version the test runs."""

    epochs: int = 20
    runs: int = 5  # timed runs (median) of the trainer-vs-DataLoader pair, after one warm-up
    batched_runs: int = 3
    live_epochs: int = 100
    live_runs: int = 3
    every_page: bool = True  # False: Home only (each page has its own AppTest in tests/)
    more_data_steps: int = 300  # weight updates per model and size of Home's slide 12 (its default)


QUICK = Sizes(epochs=2, runs=1, batched_runs=1, live_epochs=10, live_runs=1, every_page=False, more_data_steps=10)


@dataclass(frozen=True)
class Figure:
    """One row of the table: a value, its unit and its target (">= 3", "<= 0.3" or "state")."""

    name: str
    value: float | None  # None: the workload failed, `note` says why
    unit: str
    target: str
    note: str = ""

    @property
    def ok(self) -> str:
        if self.value is None:
            return "error"
        if self.target == "state":
            return "-"
        op, bound = self.target.split()
        return "yes" if (self.value >= float(bound) if op == ">=" else self.value <= float(bound)) else "NO"


def _median_seconds(works: list[Callable[[], object]], runs: int, device: torch.device) -> list[float]:
    """Median wall time of each work over `runs` calls, after one untimed warm-up call of each.

    The warm-up takes the allocator, kernel and lazy-import costs out. The works take turns
    (a, b, a, b, ...) so that a busy machine slows all of them alike and their ratio holds.
    """
    for work in works:
        work()
    times: list[list[float]] = [[] for _ in works]
    for _ in range(runs):
        for work, spent in zip(works, times):
            start = time.perf_counter()
            work()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def moons(n_train: int) -> Dataset:
    """Moons with exactly n_train training samples: a 20% validation split of n_train / 0.8 points."""
    data = load(DataConfig("moons", n_samples=round(n_train / 0.8), val_fraction=0.2))
    if len(data.x_train) != n_train:
        raise RuntimeError(f"Expected {n_train} training samples, got {len(data.x_train)}.")
    return data


def textbook_fit(spec: MLPSpec, data: Dataset, epochs: int, device: torch.device) -> list[tuple[float, ...]]:
    """The loop a tutorial writes: DataLoader batches, autograd, torch.optim, one eval pass per epoch."""
    torch.manual_seed(0)  # the DataLoader's shuffling
    model = build_mlp(spec).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=32, shuffle=True)
    splits = [(data.x_train.to(device), data.y_train.to(device)), (data.x_val.to(device), data.y_val.to(device))]
    history = []
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        model.eval()
        with torch.no_grad():  # the trainer's per-epoch work: loss and accuracy on train and validation
            for xs, ys in splits:
                out = model(xs)
                history.append((F.cross_entropy(out, ys).item(), (out.argmax(1) == ys).float().mean().item()))
    return history


def trainer_vs_dataloader(sizes: Sizes, device: torch.device) -> list[Figure]:
    data, train = moons(1000), TrainConfig(epochs=sizes.epochs, batch_size=32, lr=0.1, optimizer="sgd")
    core_s, loader_s = _median_seconds(
        [lambda: fit(SPEC, data, train, device), lambda: textbook_fit(SPEC, data, sizes.epochs, device)],
        sizes.runs, device)
    return [
        Figure("training.speedup_vs_dataloader", loader_s / core_s, "x", ">= 3",
               "core fit vs DataLoader + autograd + torch.optim, 1,000 moons, batch 32"),
        Figure("training.core_s", core_s, "s", "state", f"{sizes.epochs} epochs, median of {sizes.runs}"),
        Figure("training.dataloader_s", loader_s, "s", "state", f"{sizes.epochs} epochs, median of {sizes.runs}"),
    ]


def batched_speedup(sizes: Sizes, device: torch.device, k: int = 8) -> list[Figure]:
    """K seeds in one batched pass against K runs, on the eager engine (bmm over the variant axis: what a GPU and
    the larger nets train with). Beside it the same pass with the engine the app picks: the compiled epoch
    (core/compiled.py) loops over the variants, so `core.engines.compilable` counts them, and this K = 8 pass is
    past `core.compiled.MAX_WORK` and trains eager: the figure checks that the pick is no slower."""
    data = moons(1000)
    trains = [TrainConfig(epochs=sizes.epochs, batch_size=32, lr=0.1, optimizer="sgd", seed=i, engine="manual")
              for i in range(k)]
    compiled = [replace(t, engine="auto") for t in trains]
    together, one_by_one, auto = _median_seconds(
        [lambda: fit_many([Variant(f"seed {i}", SPEC, t) for i, t in enumerate(trains)], data, device),
         lambda: [fit(SPEC, data, t, device) for t in trains],
         lambda: fit_many([Variant(f"seed {i}", SPEC, t) for i, t in enumerate(compiled)], data, device)],
        sizes.batched_runs, device)
    return [Figure("training.batched_speedup", one_by_one / together, "x", ">= 4",
                   f"{k} seeds in one fit_many vs {k} fit() runs, eager engine"),
            Figure("training.batched_auto_vs_eager", together / auto, "x", "state",
                   f"the same {k} seeds in one fit_many with the engine the app picks (eager here) vs eager")]


def playground_epochs_per_s(n_train: int, n_val: int, epochs: int) -> float:
    """Playground's engine on the live workload, its own timing (after its warm-up epochs); RuntimeError if it fails.

    Its epoch: forward + backprop per point, a weight update every 10 points, then its loss passes over the
    training and the test points, and every 5 epochs the output node on the 100 x 100 grid, point by point.
    """
    node = shutil.which("node")
    if node is None or not PLAYGROUND.exists():
        raise RuntimeError(f"needs `node` on the PATH and {PLAYGROUND} (TensorFlow Playground's engine)")
    n = n_train + n_val
    args = [node, str(PLAYGROUND), "--layers", "2,8,8,1", "--activation", "tanh", "--dataset", "spiral",
            "--n", str(n), "--train-ratio", str((n_train + 0.5) / n), "--batch", "10", "--lr", "0.03",
            "--epochs", str(epochs), "--grid", str(GRID), "--grid-every", "5", "--grid-mode", "output"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"bench.js exited with {done.returncode}: {done.stderr.strip()[-300:]}")
    report = json.loads(done.stdout)
    if (report["train_points"], report["test_points"]) != (n_train, n_val):
        raise RuntimeError(f"bench.js split {n} points {report['train_points']}/{report['test_points']}")
    return float(report["epochs_per_s"])


def live_vs_playground(sizes: Sizes, device: torch.device) -> list[Figure]:
    """Our live 2-D training and Playground's engine on the same workload, taking turns in one run.

    Both: a 2-8-8-1 tanh net, 500 spiral points to train on and 126 held out, batch 10, lr 0.03, per epoch
    a pass over the training points then a loss pass over both sets, and every 5 epochs the decision map on a
    100 x 100 grid. Ours is timed over the whole `fit` call (set-up and result included), theirs over its
    epochs alone; ours also computes accuracies, and its map is the page's P(class 1).
    """
    data = load(DataConfig("spirals", n_samples=626, val_fraction=0.2))  # 500 + 126: Playground's spiral is even
    grid = plane_grid(plane_box(data), GRID).float()  # (GRID * GRID, 2), as the page's maps are made

    def redraw(fraction: float, snap: Snapshot) -> None:  # what the page's live chart recomputes: P(class 1) map
        snap.predict(grid)[0, :, 0].cpu().numpy().reshape(GRID, GRID)

    epochs = sizes.live_epochs
    train = TrainConfig(epochs=epochs, batch_size=10, lr=0.03, optimizer="sgd")
    ours: list[float] = []
    theirs: list[float] = []
    error = ""
    for run in range(sizes.live_runs + 1):  # run 0 warms ours up; Playground warms up inside each of its runs
        start = time.perf_counter()
        fit(LIVE_SPEC, data, train, device, on_progress=redraw, progress_every=5)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if run:
            ours.append(epochs / (time.perf_counter() - start))
        if run and not error:  # the two take turns, so a busy machine slows both alike
            try:
                theirs.append(playground_epochs_per_s(len(data.x_train), len(data.x_val), epochs))
            except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
                error = f"{type(e).__name__}: {e}"
    ours_rate = statistics.median(ours)
    theirs_rate = None if error else statistics.median(theirs)
    what = f"2-8-8-1 tanh, 500 + 126 spiral points, batch 10, 100x100 map every 5 epochs, median of {sizes.live_runs}"
    return [
        Figure("training.live_epochs_per_s", ours_rate, "epochs/s", ">= 120",
               f"core fit, {what}: train pass, loss and accuracy on both sets, P(class 1) map"),
        Figure("training.playground_epochs_per_s", theirs_rate, "epochs/s", "state",
               error or f"TensorFlow Playground's engine under node, {what}: train pass, squared-error loss "
                        "on both sets, output-node map"),
        Figure("training.live_vs_playground", None if theirs_rate is None else ours_rate / theirs_rate, "x", ">= 1",
               error or "live_epochs_per_s / playground_epochs_per_s, measured in turns in the same run"),
    ]


def race_s(sizes: Sizes, device: torch.device) -> list[Figure]:
    """The six-optimizer race of 500 steps on a 2-D surface (the local-minima page's race, real torch.optim)."""
    from core.landscapes import Comparison, comparison

    cfg = Comparison("rosenbrock", steps=500)
    [seconds] = _median_seconds([lambda: comparison(cfg)], sizes.batched_runs, torch.device("cpu"))  # 2-D maths: CPU
    return [Figure("landscapes.race_s", seconds, "s", "<= 0.2", "6 optimizers x 500 steps on Rosenbrock, median")]


def unit_maps(sizes: Sizes, device: torch.device) -> list[Figure]:
    """What the played network's maps cost per frame (learning cycle, section 5), on a 2-8-8-1 net: its output's
    map alone (the forward pass over the grid, the map's PNG) against the same with every unit's map and the
    weights drawn (core.charts.network.network_svg), FRAMES frames each, in turns; the CPU (the page's)."""
    from core.charts import network
    from core.learning_cycle import GRID
    from core.playground import Player, PlayNet
    from ui.parts.learning_cycle_play import headings

    player = Player(PlayNet(widths=(8, 8)))
    player.step_epoch(0.1, 10, epochs=50)
    frames = 50
    x, y = player.points.x1.to_numpy(), player.points.x2.to_numpy()
    label, train = player.points.label.to_numpy(), (player.points.split == "train").to_numpy()

    def output_alone() -> None:
        for _ in range(frames):
            network.plane_png(player.unit_maps()[0], GRID, player.box, x, y, label, train)

    def with_units() -> None:
        for _ in range(frames):
            p, maps = player.unit_maps()
            network.plane_png(p, GRID, player.box, x, y, label, train)
            network.network_svg(maps, [w[0].numpy() for w in player.net_module.W], [list(player.net.features)], GRID,
                                headings(player.net), "the network")

    alone, both = _median_seconds([output_alone, with_units], max(sizes.batched_runs * 2, 3), torch.device("cpu"))
    note = f"2-8-8-1 net, {GRID}x{GRID} grid, {frames} frames per timing, median"
    return [
        Figure("play.output_map_ms", alone / frames * 1e3, "ms", "state", note + ": forward pass and output map"),
        Figure("play.unit_maps_ms", both / frames * 1e3, "ms", "state", note + ": the same, every unit drawn too"),
        Figure("play.unit_maps_ratio", both / alone, "x", "<= 1.2", "unit_maps_ms / output_map_ms: every unit's map "
               "may cost at most 20% more than the output's map alone"),
    ]


def grid_s(sizes: Sizes, device: torch.device) -> list[Figure]:
    """16 Albumentations samples of the bundled photo with mask, boxes and keypoints, drawn (the explorer's grid)."""
    from core.augment import TRANSFORMS, Explorer, grid

    cfg = Explorer(transforms=tuple((name, t[2]) for name, t in TRANSFORMS.items()), n_samples=16)
    [seconds] = _median_seconds([lambda: grid(cfg)], sizes.batched_runs, torch.device("cpu"))  # OpenCV: CPU
    return [Figure("augment.grid_s", seconds, "s", "<= 0.5", "16 samples, all 10 transforms, mask + boxes + keypoints")]


def more_data_s(sizes: Sizes, device: torch.device) -> list[Figure]:
    """Home's slide 12 computed once, cold: 3 models x 6 training-set sizes, what a server without the shipped
    defaults computes when a student opens the section (timed on the first call: no warm-up)."""
    from core.more_data import MoreData, learning_curves

    cfg = MoreData(steps=sizes.more_data_steps)
    start = time.perf_counter()
    learning_curves(cfg)
    seconds = time.perf_counter() - start
    return [Figure("home.more_data_s", seconds, "s", "<= 10",
                   f"3 models x {len(cfg.sizes)} sizes, {cfg.steps} updates each, first call, {device.type}")]


def page_files(sizes: Sizes) -> list[Path]:
    """Home and whatever pages/*.py exist now (pages are added while the app grows), in the order
    ui/defaults.py renders them; Home alone for --quick."""
    home, *pages = defaults.pages()
    return [home, *pages] if sizes.every_page else [home]


def _render(path: Path) -> tuple[float, str]:
    """Seconds for one AppTest run of the page and its first exception ('' if none).

    Each new AppTest scans every installed package for Streamlit components before the script
    runs; a real server does that once at start-up, not per session, so the scan is made once per
    process (ui/streamlit_internals.scan_components_once) and kept out of the page's time.
    """
    from streamlit.testing.v1 import AppTest

    streamlit_internals.scan_components_once()
    try:
        at = AppTest.from_file(str(path), default_timeout=60)
        start = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - start
    except Exception as e:  # a timeout or a script that cannot load: reported as "error", others still run
        return 0.0, f"{type(e).__name__}: {e}"
    return seconds, at.exception[0].message if at.exception else ""


def _first_optimizer_step() -> None:
    weight = torch.nn.Parameter(torch.zeros(1))
    weight.grad = torch.ones(1)
    torch.optim.SGD([weight], lr=0.1).step()


def pages(paths: list[Path]) -> list[Figure]:
    import streamlit as st

    from ui import runners

    # Throwaway render of Home: the one-time imports (torch, altair, streamlit's runtime) and
    # first-call costs would otherwise be billed to whichever page happens to come first. So is
    # torch.optim's first step, which imports torch._dynamo once per process.
    _render(ROOT / "Home.py")
    _first_optimizer_step()
    def emptied(keep_shipped: bool) -> None:
        if keep_shipped:
            runners.fresh()
        else:
            runners.clear()
        st.cache_data.clear()
        st.cache_resource.clear()

    figures = []
    for path in paths:
        emptied(keep_shipped=True)  # cold: a fresh server, nothing cached but the shipped defaults (ui/defaults.py)
        cold, error = _render(path)
        warm, warm_error = _render(path) if not error else (0.0, error)  # new session, caches kept
        emptied(keep_shipped=False)  # from nothing: every default computed here
        compute, compute_error = _render(path) if not error else (0.0, error)
        for kind, seconds, err, bound in (("cold", cold, error, "2"), ("warm", warm, warm_error, "0.3"),
                                          ("compute", compute, compute_error, "2")):
            figures.append(Figure(f"pages.{path.stem}.{kind}_s", None if err else seconds, "s", f"<= {bound}", err))
    return figures


def peak_rss_mb(note: str) -> list[Figure]:
    """Peak resident memory of this process so far (called right after the pages rendered)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    mb = peak / 2**20 if sys.platform == "darwin" else peak / 1024  # macOS reports bytes, Linux KB
    return [Figure("memory.peak_rss_mb", mb, "MB", "state", note)]
