"""An architecture as a table: every layer a real forward pass goes through, with its output shape.

`trace(model, x)` hooks the model's leaf modules (those without children), runs one forward pass
in eval mode with gradients off, and records each layer in call order: its name, its kind
(Conv2d, ReLU, MaxPool2d, ...), its output shape without the batch dimension, and its parameter
count. The diagrams on the zoo pages draw this table, so the shapes a student reads are the shapes
the tensors really had. Hooks are always removed, even when the forward pass fails.
"""
from __future__ import annotations

import pandas as pd
import torch
from torch import Tensor, nn

COLUMNS = ("layer", "kind", "output shape", "parameters")


def _shape(out: object) -> tuple[int, ...]:
    if isinstance(out, Tensor):
        return tuple(out.shape[1:])
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], Tensor):
        return tuple(out[0].shape[1:])  # e.g. an RNN's (output, hidden): the output
    return ()


def describe(shape: tuple[int, ...]) -> str:
    """(8, 4, 4) -> "8 × 4 × 4"."""
    return " × ".join(str(s) for s in shape) if shape else "-"


def trace(model: nn.Module, x: Tensor) -> pd.DataFrame:
    """One row per leaf module call, in order: layer, kind, output shape (a tuple), parameters."""
    rows: list[tuple[str, str, tuple[int, ...], int]] = []
    handles = []
    for name, module in model.named_modules():
        if name and not any(True for _ in module.children()):
            params = sum(p.numel() for p in module.parameters(recurse=False))

            def hook(m: nn.Module, args: object, out: object, name: str = name, params: int = params) -> None:
                rows.append((name, type(m).__name__, _shape(out), params))

            handles.append(module.register_forward_hook(hook))
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs["input shape"] = tuple(x.shape[1:])  # ui.show.layers draws it as the first box
    return frame
