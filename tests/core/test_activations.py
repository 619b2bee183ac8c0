"""Unit tests of core.activations: every hand-written f' equals autograd's, f equals its nn.Module."""
import math

import pytest
import torch

from core import activations

NAMES = list(activations.ACTIVATIONS)


def _grid(dtype: torch.dtype) -> torch.Tensor:
    # -6 .. 6 in steps of 0.01 (0 exactly included), plus points right beside the kink of ReLU-like functions.
    return torch.cat([torch.arange(-600, 601, dtype=dtype) / 100, torch.tensor([-1e-7, 1e-7], dtype=dtype)])


def test_labels_cover_every_activation():
    assert set(activations.LABELS) == set(NAMES) == {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"}


@pytest.mark.parametrize("name", NAMES)
def test_derivative_equals_autograd(name):
    act = activations.get(name)
    z = _grid(torch.float64).requires_grad_()
    (auto,) = torch.autograd.grad(act.f(z).sum(), z)
    by_hand = act.grad(z.detach())
    assert by_hand.dtype == torch.float64 and by_hand.shape == z.shape
    torch.testing.assert_close(by_hand, auto, atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_function_matches_its_module_and_keeps_float32(name):
    act = activations.get(name)
    z = _grid(torch.float32)
    torch.testing.assert_close(act.f(z), act.module()(z), atol=0, rtol=0)
    assert act.grad(z).dtype == torch.float32


@pytest.mark.parametrize(
    "name, z, expected",
    [
        ("sigmoid", 0.0, 0.25),
        ("sigmoid", 5.0, math.exp(-5) / (1 + math.exp(-5)) ** 2),
        ("tanh", 0.0, 1.0),
        ("tanh", 2.0, 1 - math.tanh(2) ** 2),
        ("relu", -1.0, 0.0),
        ("relu", 2.0, 1.0),
        ("leaky_relu", -3.0, activations.LEAKY_SLOPE),
        ("leaky_relu", 3.0, 1.0),
        ("elu", -1.0, math.exp(-1)),
        ("elu", 1.0, 1.0),
        ("gelu", 0.0, 0.5),
        ("gelu", 1.0, 0.5 * (1 + math.erf(1 / math.sqrt(2))) + math.exp(-0.5) / math.sqrt(2 * math.pi)),
    ],
)
def test_derivative_known_values(name, z, expected):
    d = activations.get(name).grad(torch.tensor([z], dtype=torch.float64))
    assert d.item() == pytest.approx(expected, abs=1e-12)


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    z = _grid(torch.float64)
    d = activations.get("sigmoid").grad(z)
    assert d.max().item() == 0.25
    assert z[d.argmax()].item() == 0.0
    assert d[z.abs() >= 5].max().item() < 0.007  # outside the active region the gradient nearly vanishes


def test_relu_family_keeps_the_gradient_for_positive_inputs():
    z = _grid(torch.float64)
    for name in ("relu", "leaky_relu", "elu"):
        assert torch.all(activations.get(name).grad(z[z > 0]) == 1)


def test_unknown_activation_lists_the_choices():
    choices = "sigmoid, tanh, relu, leaky_relu, elu, gelu"
    with pytest.raises(ValueError, match=f"Unknown activation 'swish': choose one of {choices}"):
        activations.get("swish")
