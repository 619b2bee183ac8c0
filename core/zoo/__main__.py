"""`python -m core.zoo [--only NAME] [--quick] [--out DIR]`: remake the zoo's shipped weights.

Every architecture module lists `SHIPPED = {asset name: maker}`; a maker takes `quick` (a tiny
budget, for the tests) and returns (model, meta). Seeded and offline: the same command gives the
same files. Each file's meta records how long it took to make and on which device.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from core.device import describe, pick_device
from core.zoo import ARCHITECTURES, weights

EXTRA = ("transformer_seq2seq",)  # modules that ship weights for a page without being a zoo architecture of their own


def makers() -> dict[str, Callable[..., tuple[nn.Module, dict]]]:
    """Asset name -> maker, from every architecture module that exists yet (and the EXTRA modules)."""
    found: dict[str, Callable[..., tuple[nn.Module, dict]]] = {}
    for arch in ARCHITECTURES + EXTRA:
        try:
            module = importlib.import_module(f"core.zoo.{arch}")
        except ModuleNotFoundError as e:
            if e.name != f"core.zoo.{arch}":
                raise
            continue
        found.update(getattr(module, "SHIPPED", {}))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.zoo", description=__doc__)
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="asset names to make (repeatable)")
    parser.add_argument("--quick", action="store_true", help="a tiny training budget (for tests); not for shipping")
    parser.add_argument("--out", type=Path, default=weights.ASSETS, help=f"folder to write (default {weights.ASSETS})")
    args = parser.parse_args(argv)
    table = makers()
    unknown = sorted(set(args.only) - set(table))
    if unknown:
        parser.error(f"unknown asset(s) {', '.join(unknown)}; known: {', '.join(sorted(table))}")
    device = pick_device("cpu")  # shipped weights are made on the CPU, the machine students have
    for name in args.only or sorted(table):
        start = time.perf_counter()
        model, meta = table[name](quick=args.quick)
        seconds = time.perf_counter() - start
        meta = {**meta, "seconds_to_make": round(seconds, 1), "made_on": describe(device),
                "torch": str(torch.__version__), "threads": torch.get_num_threads(), "quick": args.quick}
        path = weights.save(name, model, meta, args.out)
        print(f"{name}: {path} ({path.stat().st_size / 1024:.0f} KiB) in {seconds:.1f} s  {meta}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
