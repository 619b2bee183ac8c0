"""`python -m benchmarks [--quick] [--only PREFIX] [--device cpu] [--json FILE]`: run the workloads, print a table.

The load test (benchmarks/load.py: a real server and >= 10 Chromium sessions; two servers behind nginx for
`load.replicas`) runs in a full run or with `--only load`, the reliability scenarios (benchmarks/reliability.py)
with `--only reliability`, the live map counted in Chromium (benchmarks/live.py) with `--only live`; `--quick`
(what the test suite runs) leaves them out.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from importlib.metadata import version

import torch

from benchmarks import live, load, reliability, workloads, zoo
from core.device import describe, pick_device

TRAINING = (  # the figures each training workload reports, so that --only can skip whole workloads
    (("training.speedup_vs_dataloader", "training.core_s", "training.dataloader_s"), workloads.trainer_vs_dataloader),
    (("training.batched_speedup",), workloads.batched_speedup),
    (("training.live_epochs_per_s", "training.playground_epochs_per_s", "training.live_vs_playground"),
     workloads.live_vs_playground),
    (("landscapes.race_s",), workloads.race_s),
    (("augment.grid_s",), workloads.grid_s),
    (("play.output_map_ms", "play.unit_maps_ms", "play.unit_maps_ratio"), workloads.unit_maps),
    (("home.more_data_s",), workloads.more_data_s),
    (("zoo.gan_steps_per_redraw", "zoo.gan_redraws_per_s", "zoo.gan_steps_per_s"), zoo.gan_live),
    (("zoo.transformer_worked_s", "zoo.transformer_sample_s"), zoo.transformer_steps_s),
    (("zoo.cnn_click_s", "zoo.cnn_explorer_s"), zoo.cnn_by_hand),
    (("zoo.gan_step_s",), zoo.gan_step),
)
MEMORY = "memory.peak_rss_mb"


def _format(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def table(figures: list[workloads.Figure], header: str) -> str:
    rows = [("name", "value", "unit", "target", "ok")]
    rows += [(f.name, _format(f.value), f.unit, f.target, f.ok) for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [header, ""] + ["  ".join(c.rjust(n) if i == 1 else c.ljust(n) for i, (c, n) in enumerate(zip(r, widths)))
                            for r in rows]
    lines.insert(3, "  ".join("-" * n for n in widths))
    errors = [f"{f.name}: {f.note}" for f in figures if f.value is None]
    return "\n".join(lines + (["", "errors:", *errors] if errors else []))


def run(sizes: workloads.Sizes, device: torch.device, only: list[str], sessions: int = 0) -> list[workloads.Figure]:
    """The figures whose names `only` asks for (all if empty); `sessions` > 0 adds the load test with that many."""
    def wanted(name: str) -> bool:
        return not only or any(name.startswith(prefix) for prefix in only)

    def group_wanted(names: tuple[str, ...]) -> bool:  # a workload reports figures under these prefixes
        return not only or any(n.startswith(p) or p.startswith(n) for n in names for p in only)

    figures: list[workloads.Figure] = []
    paths = workloads.page_files(sizes)
    # Peak memory is read after *every* page rendered, so asking for it renders them all.
    render = paths if wanted(MEMORY) else [p for p in paths if any(wanted(f"pages.{p.stem}.{kind}_s")
                                                                   for kind in ("cold", "warm", "compute"))]
    if render:
        figures += workloads.pages(render)
        rendered = "every page" if sizes.every_page else "Home (--quick)"
        figures += workloads.peak_rss_mb(f"after rendering {rendered}")
    for names, workload in TRAINING:
        if any(map(wanted, names)):
            figures += workload(sizes, device)
    if sessions and group_wanted(load.NAMES + load.REPLICAS):
        figures += load.workload(sessions, one_server=group_wanted(load.NAMES), replicas=group_wanted(load.REPLICAS))
    if sessions and group_wanted(reliability.NAMES):
        figures += reliability.workload(tuple(name for name in reliability.NAMES if group_wanted((name,))))
    if sessions and group_wanted(live.NAMES + live.PLAY_NAMES):
        figures += live.workload()
    return [f for f in figures if wanted(f.name)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and Home only (what the test runs)")
    parser.add_argument("--only", action="append", default=[], metavar="PREFIX",
                        help="only figures whose name starts with PREFIX (repeatable), e.g. pages.Home or training")
    parser.add_argument("--device", choices=("cpu", "cuda", "mps"), help="default: core.device.pick_device()")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    parser.add_argument("--sessions", type=int, default=10, metavar="N",
                        help="concurrent browser sessions of the load test (default 10; --quick skips the load test)")
    args = parser.parse_args(argv)

    device = pick_device(args.device)
    os.environ["LESSON_DEVICE"] = device.type  # the pages pick their device from it, like the trainer calls here
    header = (f"device: {describe(device)} | torch {torch.__version__} ({torch.get_num_threads()} threads) | "
              f"streamlit {version('streamlit')} | {'quick' if args.quick else 'full'} sizes")
    sizes = workloads.QUICK if args.quick else workloads.Sizes()
    figures = run(sizes, device, args.only, sessions=0 if args.quick else args.sessions)
    print(table(figures, header))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "device": describe(device),
                "quick": args.quick,
                "figures": {g.name: g.value for g in figures},  # null where the workload failed
                "checks": {g.name: {"unit": g.unit, "target": g.target, "ok": g.ok, "note": g.note} for g in figures},
            }, f, indent=2)
    finite = all(g.value is not None and math.isfinite(g.value) for g in figures)
    return 0 if figures and finite else 1  # a failing target is the table's news; an error or empty run is a failure


if __name__ == "__main__":
    sys.exit(main())
