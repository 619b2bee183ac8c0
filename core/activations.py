"""Activation functions and their derivatives as plain tensor maths (slides 23-24).

Each activation is a pair (f, f'); the derivative is written out by hand because the lesson
is about it (the "active region" is where f' is not near zero). The backward pass of
`core.backprop` needs delta * f'(z) at every step; `chain` computes exactly that product with
PyTorch's own fused backward kernel (the one autograd runs): one kernel launch instead of the
several of the two-step formula, which is what costs most on the lesson's tiny tensors. Tests
check f' against autograd and `chain` against f'.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

LEAKY_SLOPE = 0.01  # PyTorch's default negative_slope for nn.LeakyReLU
ELU_ALPHA = 1.0  # PyTorch's default alpha for nn.ELU


def _sigmoid_grad(z: Tensor) -> Tensor:
    s = torch.sigmoid(z)
    return s * (1 - s)  # at most 0.25, at z = 0: why deep sigmoid nets lose their gradient


def _tanh_grad(z: Tensor) -> Tensor:
    return 1 - torch.tanh(z) ** 2


def _relu_grad(z: Tensor) -> Tensor:
    return (z > 0).to(z.dtype)


def _leaky_relu_grad(z: Tensor) -> Tensor:
    return (z > 0).to(z.dtype) * (1 - LEAKY_SLOPE) + LEAKY_SLOPE


def _elu_grad(z: Tensor) -> Tensor:
    return torch.where(z > 0, torch.ones_like(z), ELU_ALPHA * torch.exp(torch.clamp(z, max=0)))


def _gelu_grad(z: Tensor) -> Tensor:
    cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2)))  # Phi(z)
    pdf = torch.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)  # phi(z)
    return cdf + z * pdf


@dataclass(frozen=True)
class Activation:
    """An activation function f, its derivative f' and the nn.Module that computes f."""

    name: str
    f: Callable[[Tensor], Tensor]
    grad: Callable[[Tensor], Tensor]
    module: Callable[[], nn.Module]
    formula: str  # LaTeX, shown on the page
    chain: Callable[[Tensor, Tensor, Tensor], Tensor]  # (delta, z, f(z)) -> delta * f'(z), fused


_aten = torch.ops.aten  # PyTorch's backward kernels: grad_output * f'(input)

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", torch.sigmoid, _sigmoid_grad, nn.Sigmoid, r"\sigma(z) = \frac{1}{1 + e^{-z}}",
                   lambda d, z, a: _aten.sigmoid_backward(d, a)),
        Activation("tanh", torch.tanh, _tanh_grad, nn.Tanh, r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
                   lambda d, z, a: _aten.tanh_backward(d, a)),
        Activation("relu", torch.relu, _relu_grad, nn.ReLU, r"\mathrm{ReLU}(z) = \max(0, z)",
                   lambda d, z, a: _aten.threshold_backward(d, z, 0)),
        Activation(
            "leaky_relu",
            lambda z: torch.nn.functional.leaky_relu(z, LEAKY_SLOPE),
            _leaky_relu_grad,
            lambda: nn.LeakyReLU(LEAKY_SLOPE),
            r"\mathrm{LeakyReLU}(z) = \max(0.01 z, z)",
            lambda d, z, a: _aten.leaky_relu_backward(d, z, LEAKY_SLOPE, False),
        ),
        Activation(
            "elu",
            lambda z: torch.nn.functional.elu(z, ELU_ALPHA),
            _elu_grad,
            lambda: nn.ELU(ELU_ALPHA),
            r"\mathrm{ELU}(z) = z \text{ if } z > 0 \text{ else } e^{z} - 1",
            lambda d, z, a: _aten.elu_backward(d, ELU_ALPHA, 1, 1, False, z),
        ),
        Activation("gelu", torch.nn.functional.gelu, _gelu_grad, nn.GELU, r"\mathrm{GELU}(z) = z \, \Phi(z)",
                   lambda d, z, a: _aten.gelu_backward(d, z)),
    )
}

LABELS = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "elu": "ELU",
    "gelu": "GELU",
}


def get(name: str) -> Activation:
    """The activation called `name`, or a ValueError that lists the choices."""
    if name not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}.")
    return ACTIVATIONS[name]
