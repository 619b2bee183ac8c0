"""Unit tests of core.models: build_mlp holds init_params' weights, parameter counts, init scales, layers, errors."""
import math

import pytest
import torch
from torch import nn

from core import activations, models
from core.models import MLPSpec, build_mlp, init_params

SPECS = [
    MLPSpec(n_in=2, widths=(), n_out=1),  # the perceptron: one linear layer
    MLPSpec(n_in=2, widths=(16, 16), n_out=1, activation="relu"),
    MLPSpec(n_in=5, widths=(8, 4, 3), n_out=3, activation="tanh"),
]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("init", models.INITS)
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(map(str, s.sizes)))
def test_build_mlp_holds_init_params_weights(spec, init):
    spec = MLPSpec(spec.n_in, spec.widths, spec.n_out, spec.activation, init)
    params = init_params(spec, _gen(3))
    model = build_mlp(spec, _gen(3))
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert len(linears) == len(params) == len(spec.widths) + 1
    for (w, b), (fan_in, fan_out), linear in zip(params, zip(spec.sizes, spec.sizes[1:]), linears):
        assert w.shape == (fan_in, fan_out) and b.shape == (fan_out,)  # a layer is X @ W + b
        assert torch.equal(w.T, linear.weight) and torch.equal(b, linear.bias)
    # The module computes a_l = act(a_{l-1} @ W_l + b_l), the same maths the hand-written engine uses.
    x = torch.randn(7, spec.n_in, generator=_gen(0))
    a = x
    for i, (w, b) in enumerate(params):
        a = a @ w + b
        if i < len(params) - 1:
            a = activations.get(spec.activation).f(a)
    torch.testing.assert_close(model(x), a, atol=1e-6, rtol=0)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(map(str, s.sizes)))
def test_n_params_counts_every_trainable_number(spec, batch_norm):
    spec = MLPSpec(spec.n_in, spec.widths, spec.n_out, batch_norm=batch_norm, dropout=0.2)
    assert spec.n_params == sum(p.numel() for p in build_mlp(spec).parameters())


def test_n_params_of_a_known_net():
    assert MLPSpec(2, (16, 16), 1).n_params == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1) == 337
    assert MLPSpec(2, (16, 16), 1, batch_norm=True).n_params == 337 + 2 * 32


# init -> expected weight std of a layer with (fan_in, fan_out)
EXPECTED_STD = {
    "default": lambda fan_in, fan_out: 1 / math.sqrt(3 * fan_in),  # uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))
    "xavier": lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out)),
    "he": lambda fan_in, fan_out: math.sqrt(2 / fan_in),
    "normal": lambda fan_in, fan_out: 1.0,
}


@pytest.mark.parametrize("init", models.INITS)
def test_init_gives_the_expected_weight_scale(init):
    assert set(EXPECTED_STD) == set(models.INITS) == set(models.INIT_LABELS)
    spec = MLPSpec(n_in=256, widths=(256, 64), n_out=1, init=init)  # a square 256x256 layer, then 256 -> 64
    params = init_params(spec, _gen(0))
    for (w, b), (fan_in, fan_out) in zip(params, [(256, 256), (256, 64)]):
        expected = EXPECTED_STD[init](fan_in, fan_out)
        # 16k-65k draws: the sample std is within 1-2 % of the true one, so 5 % separates the inits.
        assert w.std().item() == pytest.approx(expected, rel=0.05)
        assert abs(w.mean().item()) < 0.05 * expected
        if init == "default":
            bound = 1 / math.sqrt(fan_in)
            assert b.abs().max().item() <= bound and b.abs().max().item() > 0.5 * bound
        else:
            assert torch.count_nonzero(b) == 0


@pytest.mark.parametrize("init", models.INITS)
def test_same_seed_same_weights_other_seed_other_weights(init):
    spec = MLPSpec(3, (8, 8), 2, init=init)
    a, b, c = (build_mlp(spec, _gen(s)).state_dict() for s in (1, 1, 2))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["0.weight"], c["0.weight"])
    default = build_mlp(spec).state_dict()  # no generator: seed 0
    assert all(torch.equal(default[k], build_mlp(spec, _gen(0)).state_dict()[k]) for k in default)


@pytest.mark.parametrize(
    "batch_norm, dropout, layers",
    [
        (False, 0.0, [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]),
        (True, 0.0, [nn.Linear, nn.BatchNorm1d, nn.Tanh, nn.Linear, nn.BatchNorm1d, nn.Tanh, nn.Linear]),
        (False, 0.3, [nn.Linear, nn.Tanh, nn.Dropout, nn.Linear, nn.Tanh, nn.Dropout, nn.Linear]),
        (True, 0.3, [nn.Linear, nn.BatchNorm1d, nn.Tanh, nn.Dropout] * 2 + [nn.Linear]),
    ],
)
def test_batch_norm_and_dropout_sit_where_expected(batch_norm, dropout, layers):
    model = build_mlp(MLPSpec(2, (6, 5), 1, activation="tanh", batch_norm=batch_norm, dropout=dropout))
    assert [type(m) for m in model] == layers
    assert [m.num_features for m in model if isinstance(m, nn.BatchNorm1d)] == ([6, 5] if batch_norm else [])
    assert all(m.p == dropout for m in model if isinstance(m, nn.Dropout))


@pytest.mark.parametrize("name", activations.ACTIVATIONS)
def test_hidden_layers_use_the_named_activation(name):
    model = build_mlp(MLPSpec(2, (4, 4), 1, activation=name))
    modules = [m for m in model if not isinstance(m, nn.Linear)]
    assert len(modules) == 2 and all(type(m) is type(activations.get(name).module()) for m in modules)


def test_sizes_and_hashable_spec():
    spec = MLPSpec(3, (8, 4), 2)
    assert spec.sizes == (3, 8, 4, 2)
    assert hash(spec) == hash(MLPSpec(3, (8, 4), 2))  # usable as a cache key


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "swish"}, r"Unknown activation 'swish': choose one of sigmoid, tanh, relu"),
        ({"init": "orthogonal"}, r"Unknown initialization 'orthogonal': choose one of default, xavier, he, normal"),
        ({"n_in": 0}, r"at least one input and one output"),
        ({"n_out": 0}, r"at least one input and one output"),
        ({"widths": (16, 0)}, r"between 1 and 4,096 units"),
        ({"widths": (5000,)}, r"between 1 and 4,096 units"),
        ({"widths": (2,) * 65}, r"At most 64 hidden layers"),
        ({"dropout": 1.0}, r"dropout rate must be at least 0 and below 1"),
        ({"dropout": -0.1}, r"dropout rate must be at least 0 and below 1"),
    ],
)
def test_bad_specs_raise_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLPSpec(**kwargs)
