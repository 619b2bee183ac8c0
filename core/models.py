"""Model builders: the MLP of the lesson (widths, activation, initialization, batch norm, dropout).

`MLPSpec` describes a network as plain values (hashable, so it can be part of a cache key);
`init_params` draws its weights from a seeded generator, and `build_mlp` turns the spec into
an `nn.Sequential` holding exactly those weights. The hand-written engine in `core.backprop`
starts from the same `init_params`, which is why both give the same numbers for the same seed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from core import activations

INITS = ("default", "xavier", "he", "normal")
INIT_LABELS = {
    "default": "PyTorch default (uniform ±1/√fan_in)",
    "xavier": "Xavier / Glorot",
    "he": "He / Kaiming",
    "normal": "Normal(0, 1) (too large on purpose)",
}
MAX_WIDTH = 4096
MAX_DEPTH = 64


@dataclass(frozen=True)
class MLPSpec:
    """A multi-layer perceptron: n_in -> widths[0] -> ... -> widths[-1] -> n_out."""

    n_in: int = 2
    widths: tuple[int, ...] = (16, 16)  # hidden layers; () is a single linear layer (the perceptron)
    n_out: int = 1
    activation: str = "relu"
    init: str = "default"
    batch_norm: bool = False
    dropout: float = 0.0

    def __post_init__(self) -> None:
        activations.get(self.activation)  # raises a ValueError that lists the choices
        if self.init not in INITS:
            raise ValueError(f"Unknown initialization {self.init!r}: choose one of {', '.join(INITS)}.")
        if self.n_in < 1 or self.n_out < 1:
            raise ValueError("A network needs at least one input and one output.")
        if len(self.widths) > MAX_DEPTH:
            raise ValueError(f"At most {MAX_DEPTH} hidden layers.")
        if not all(1 <= w <= MAX_WIDTH for w in self.widths):
            raise ValueError(f"Each hidden layer needs between 1 and {MAX_WIDTH:,} units.")
        if not 0 <= self.dropout < 1:
            raise ValueError("The dropout rate must be at least 0 and below 1.")

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.n_in, *self.widths, self.n_out)

    @property
    def n_params(self) -> int:
        linear = sum((a + 1) * b for a, b in zip(self.sizes, self.sizes[1:]))
        return linear + (2 * sum(self.widths) if self.batch_norm else 0)


def init_params(spec: MLPSpec, generator: torch.Generator) -> list[tuple[Tensor, Tensor]]:
    """One (W, b) per layer, W of shape (fan_in, fan_out) so that a layer is `X @ W + b`."""
    params = []
    for fan_in, fan_out in zip(spec.sizes, spec.sizes[1:]):
        w = torch.empty(fan_out, fan_in)  # nn.Linear's layout, so the init functions see the right fans
        b = torch.empty(fan_out)
        bound = 1 / math.sqrt(fan_in)
        if spec.init == "default":  # what nn.Linear.reset_parameters does
            nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)
            nn.init.uniform_(b, -bound, bound, generator=generator)
        elif spec.init == "xavier":
            nn.init.xavier_uniform_(w, generator=generator)
            nn.init.zeros_(b)
        elif spec.init == "he":
            nn.init.kaiming_normal_(w, nonlinearity="relu", generator=generator)
            nn.init.zeros_(b)
        else:
            nn.init.normal_(w, 0.0, 1.0, generator=generator)
            nn.init.zeros_(b)
        params.append((w.T.contiguous(), b))
    return params


def build_mlp(spec: MLPSpec, generator: torch.Generator | None = None) -> nn.Sequential:
    """The spec as an nn.Sequential: [Linear, (BatchNorm1d), activation, (Dropout)] x depth, Linear."""
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    layers: list[nn.Module] = []
    params = init_params(spec, generator)
    for i, (w, b) in enumerate(params):
        linear = nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            linear.weight.copy_(w.T)
            linear.bias.copy_(b)
        layers.append(linear)
        if i < len(params) - 1:
            if spec.batch_norm:
                layers.append(nn.BatchNorm1d(w.shape[1]))
            layers.append(activations.get(spec.activation).module())
            if spec.dropout > 0:
                layers.append(nn.Dropout(spec.dropout))
    return nn.Sequential(*layers)

