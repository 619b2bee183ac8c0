"""Shipped weights: saved as plain tensors plus a JSON-like header, loaded with `weights_only=True`.

A file in `assets/zoo/<name>.pt` holds {"state": {parameter name: tensor}, "meta": {...}}, where meta
is made of str / int / float / bool / lists / dicts only (the settings that rebuild the model, its
measured scores, how long it took to make). `torch.load(..., weights_only=True)` refuses anything
else, so a tampered file cannot run code. `load` keeps what it read (read-only, shared by every
session). Models that students train are kept by the app (ui/zoo.py), not here: core holds no trained
model between calls.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "zoo"
PLAIN = (str, int, float, bool, type(None))


def _check_meta(value: object, where: str = "meta") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where} keys must be strings, not {k!r}.")
            _check_meta(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_meta(v, f"{where}[{i}]")
    elif type(value) not in PLAIN:  # exact types: a str subclass such as torch's TorchVersion will not load
        raise ValueError(f"{where} must hold plain values (text, numbers, lists), not {type(value).__name__}.")


def save(name: str, model: nn.Module | dict[str, Tensor], meta: dict, folder: Path = ASSETS) -> Path:
    """Write `folder/<name>.pt`: the model's tensors (on the CPU, contiguous) and `meta`."""
    _check_meta(meta)
    state = model.state_dict() if isinstance(model, nn.Module) else model
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.pt"
    torch.save({"state": {k: v.detach().cpu().contiguous() for k, v in state.items()}, "meta": meta}, path)
    return path


def read(path: Path) -> tuple[dict[str, Tensor], dict]:
    """(state, meta) from a weights file; a ValueError if it is missing, damaged or holds anything but tensors."""
    if not path.is_file():
        raise ValueError(f"No weights at {path}: run `python -m core.zoo` to make them.")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle errors, truncated files, objects weights_only refuses
        raise ValueError(f"{path.name} is not a weights file this app can read safely ({type(e).__name__}).") from e
    if not (isinstance(blob, dict) and isinstance(blob.get("state"), dict) and isinstance(blob.get("meta"), dict)):
        raise ValueError(f"{path.name} does not hold a state and a meta table.")
    if not all(isinstance(v, Tensor) for v in blob["state"].values()):
        raise ValueError(f"{path.name} holds something other than tensors in its state.")
    return blob["state"], blob["meta"]


@functools.cache
def load(name: str) -> tuple[dict[str, Tensor], dict]:
    """The shipped `assets/zoo/<name>.pt`, read once per process. Treat the result as read-only."""
    return read(ASSETS / f"{name}.pt")


M = TypeVar("M", bound=nn.Module)


def into(model: M, state: dict[str, Tensor] | dict[str, np.ndarray]) -> M:
    """`model` with `state` (tensors or arrays) loaded, shapes matching exactly; in eval mode, gradients off."""
    try:
        model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    except RuntimeError as e:
        raise ValueError(f"The weights do not fit this model: {str(e).splitlines()[0]}") from e
    model.requires_grad_(False)
    return model.eval()


def count(model: nn.Module) -> int:
    """How many weights (and biases) `model` learns: its parameters, not its buffers (batch-norm statistics)."""
    return sum(p.numel() for p in model.parameters())


def curves(history: pd.DataFrame, variant: str, metrics: tuple[str, ...], digits: int) -> dict[str, list[float]]:
    """One variant's curves from the trainer's tidy history as plain lists for a file's meta, rounded to `digits`:
    {"train loss": [epoch 0, 1, ...], "validation loss": [...], ...} for each split and metric."""
    mine = history[history.variant == variant]
    return {f"{split} {metric}": [round(float(v), digits) for v in
                                  mine[(mine.split == split) & (mine.metric == metric)].sort_values("epoch").value]
            for split in ("train", "validation") for metric in metrics}


def history(curves_of: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """{variant: curves(...)} as read from shipped files, back to the trainer's tidy history
    (variant, epoch, split, metric, value)."""
    rows = [(variant, epoch, *key.split(" "), value) for variant, table in curves_of.items()
            for key, values in table.items() for epoch, value in enumerate(values)]
    return pd.DataFrame(rows, columns=["variant", "epoch", "split", "metric", "value"])
