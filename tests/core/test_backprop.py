"""The learning cycle step by step equals autograd + torch.optim: forward, loss, backward and update (core.backprop).

Everything runs in float64 (a fixture sets and restores the default dtype), so "equal" means to 1e-9.
"""
import pytest
import torch
import torch.nn.functional as F

from core import activations, backprop
from core.models import MLPSpec, build_mlp

CPU = torch.device("cpu")
B = 9  # batch size
N_OUT = {"bce": 1, "cross_entropy": 3, "mse": 2}
# K = 1, and K = 3 variants of the same depth whose widths differ (the narrower ones are zero-padded).
WIDTHS = {1: [(5, 4)], 3: [(5, 4), (3, 4), (5, 2)]}
TOL = {"atol": 1e-9, "rtol": 0}


@pytest.fixture
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _problem(K: int, activation: str, loss: str, n_in: int = 3):
    """Specs, the stacked net, one nn.Sequential per variant holding the same weights, a batch per variant."""
    specs = [MLPSpec(n_in, w, N_OUT[loss], activation) for w in WIDTHS[K]]
    net = backprop.StackedMLP(specs, [_gen(10 + k) for k in range(K)], CPU)
    modules = [build_mlp(s, _gen(10 + k)) for k, s in enumerate(specs)]
    g = _gen(99)
    x = torch.randn(K, B, n_in, generator=g)  # (K, B, n_in): each variant its own batch, as the trainer shuffles
    if loss == "mse":
        y = torch.randn(K, B, N_OUT[loss], generator=g).float().double()  # targets() hands back float32 values
    else:
        y = torch.randint(0, max(2, N_OUT[loss]), (K, B), generator=g)
    t = torch.stack([backprop.targets(y[k], loss, N_OUT[loss]) for k in range(K)])  # (K, B, n_out)
    return specs, net, modules, x, y, t


def _torch_loss(out, y, loss):
    """The textbook PyTorch losses, on labels as a student would write them."""
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(out, y.unsqueeze(-1).to(out.dtype))
    if loss == "cross_entropy":
        return F.cross_entropy(out, y)
    return F.mse_loss(out, y)


def _linears(module):
    return [m for m in module if isinstance(m, torch.nn.Linear)]


def _padding(net):
    """1 where a narrower variant's weights are padding, 0 where they are its own."""
    return torch.zeros_like(net.flat) if net.mask is None else 1 - net.mask


@pytest.mark.parametrize("loss", backprop.LOSSES)
@pytest.mark.parametrize("activation", activations.ACTIVATIONS)
@pytest.mark.parametrize("K", [1, 3])
def test_forward_loss_and_backward_equal_autograd(float64, K, activation, loss):
    specs, net, modules, x, y, t = _problem(K, activation, loss)
    out, cache = net.forward(x)
    value, d_out = backprop.loss_and_grad(out, t, loss)
    grad = net.backward(cache, d_out)
    assert out.shape == (K, B, N_OUT[loss]) and value.shape == (K,) and grad.shape == (K, net.P)
    for k, (spec, module) in enumerate(zip(specs, modules)):
        out_k = module(x[k])
        torch.testing.assert_close(out[k], out_k, **TOL)  # 1 forward pass
        loss_k = _torch_loss(out_k, y[k], loss)
        torch.testing.assert_close(value[k], loss_k, **TOL)  # 2 loss
        loss_k.backward()  # 3 backward pass, by autograd
        for layer, linear in enumerate(_linears(module)):
            n_in, n_out = spec.sizes[layer], spec.sizes[layer + 1]
            torch.testing.assert_close(net.gW[layer][k, :n_in, :n_out], linear.weight.grad.T, **TOL)
            torch.testing.assert_close(net.gb[layer][k, 0, :n_out], linear.bias.grad, **TOL)
    assert torch.count_nonzero(grad * _padding(net)) == 0  # padding gets no gradient


def test_bce_is_stable_for_large_logits(float64):
    out = torch.tensor([[[-200.0], [-30.0], [0.0], [30.0], [200.0]]])  # (1, 5, 1)
    t = torch.tensor([[[1.0], [0.0], [1.0], [0.0], [1.0]]])
    value, d_out = backprop.loss_and_grad(out, t, "bce")
    z = out.clone().requires_grad_()
    expected = F.binary_cross_entropy_with_logits(z, t)
    expected.backward()
    assert torch.isfinite(value).all()
    torch.testing.assert_close(value[0], expected, **TOL)
    torch.testing.assert_close(d_out, z.grad, **TOL)


SGD_SETTINGS = [
    {"momentum": 0.0, "nesterov": False, "weight_decay": 0.0},
    {"momentum": 0.9, "nesterov": False, "weight_decay": 0.0},
    {"momentum": 0.9, "nesterov": True, "weight_decay": 0.0},
    {"momentum": 0.0, "nesterov": False, "weight_decay": 0.05},
    {"momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
]
ADAM_SETTINGS = [
    {"name": "adam", "betas": (0.9, 0.999), "weight_decay": 0.0},
    {"name": "adam", "betas": (0.8, 0.99), "weight_decay": 0.05},
    {"name": "adamw", "betas": (0.9, 0.999), "weight_decay": 0.0},
    {"name": "adamw", "betas": (0.8, 0.99), "weight_decay": 0.05},
]
LRS = [0.1, 0.03, 0.2]  # each variant its own learning rate


def _steps_equal_torch(net, modules, x, y, t, loss, manual_opt, torch_opts, weight_decays, n_steps):
    K = net.K
    lr = torch.tensor(LRS[:K]).unsqueeze(1)  # (K, 1)
    wd = torch.tensor(weight_decays[:K]).unsqueeze(1) if any(weight_decays[:K]) else None
    for _ in range(n_steps):
        out, cache = net.forward(x)
        _, d_out = backprop.loss_and_grad(out, t, loss)
        manual_opt.step(net.flat, net.backward(cache, d_out), lr, wd)
        for k, (module, opt) in enumerate(zip(modules, torch_opts)):
            opt.zero_grad()
            _torch_loss(module(x[k]), y[k], loss).backward()
            opt.step()
    for state, module in zip(net.state_dicts(), modules):
        expected = module.state_dict()
        assert state.keys() == expected.keys()
        for name in state:
            torch.testing.assert_close(state[name], expected[name], **TOL)
    assert torch.count_nonzero(net.flat * _padding(net)) == 0  # padding stays exactly zero


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=lambda s: "m{momentum}-n{nesterov}-wd{weight_decay}".format(**s))
def test_sgd_steps_equal_torch_optim(float64, settings, K):
    specs, net, modules, x, y, t = _problem(K, "tanh", "bce")
    decays = [settings["weight_decay"] * (k + 1) for k in range(K)]  # each variant its own weight decay
    torch_opts = [
        torch.optim.SGD(m.parameters(), lr=lr, momentum=settings["momentum"], nesterov=settings["nesterov"],
                        weight_decay=wd)
        for m, lr, wd in zip(modules, LRS, decays)
    ]
    manual = backprop.SGD(settings["momentum"], settings["nesterov"])
    # Three steps, so that the momentum buffer (created on step 1) is really used.
    _steps_equal_torch(net, modules, x, y, t, "bce", manual, torch_opts, decays, n_steps=3)


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("settings", ADAM_SETTINGS, ids=lambda s: "{name}-b{betas[0]}-wd{weight_decay}".format(**s))
def test_adam_steps_equal_torch_optim(float64, settings, K):
    specs, net, modules, x, y, t = _problem(K, "gelu", "cross_entropy")
    decays = [settings["weight_decay"] * (k + 1) for k in range(K)]
    cls = torch.optim.AdamW if settings["name"] == "adamw" else torch.optim.Adam
    torch_opts = [cls(m.parameters(), lr=lr, betas=settings["betas"], weight_decay=wd)
                  for m, lr, wd in zip(modules, LRS, decays)]
    manual = backprop.Adam(settings["betas"], decoupled=settings["name"] == "adamw")
    _steps_equal_torch(net, modules, x, y, t, "cross_entropy", manual, torch_opts, decays, n_steps=3)


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_padded_variants_stay_exactly_zero_and_unpad(float64, optimizer):
    # Sigmoid puts 0.5 (not 0) on the padded units, so only the mask keeps their outgoing weights at zero.
    specs, net, modules, x, y, t = _problem(3, "sigmoid", "mse")
    assert net.sizes == (3, 5, 4, 2)  # padded to the widest variant
    opt = backprop.SGD(0.9, True) if optimizer == "sgd" else backprop.Adam(decoupled=True)
    wd = torch.full((3, 1), 0.1)
    for _ in range(5):
        out, cache = net.forward(x)
        _, d_out = backprop.loss_and_grad(out, t, "mse")
        opt.step(net.flat, net.backward(cache, d_out), torch.full((3, 1), 0.5), wd)
    assert torch.count_nonzero(net.flat * _padding(net)) == 0
    assert torch.count_nonzero(net.flat * net.mask) > 0.9 * net.mask.sum()  # the variants' own weights did move
    for spec, state in zip(specs, net.state_dicts()):
        assert {k: tuple(v.shape) for k, v in state.items()} == {
            k: tuple(v.shape) for k, v in build_mlp(spec).state_dict().items()
        }
        module = build_mlp(spec)
        module.load_state_dict(state)  # strict: the variant's own widths, nn.Sequential's names
    # Each unpadded variant computes what it computed inside the stack.
    out, _ = net.forward(x)
    for k, (spec, state) in enumerate(zip(specs, net.state_dicts())):
        module = build_mlp(spec)
        module.load_state_dict(state)
        torch.testing.assert_close(module(x[k]), out[k], **TOL)


def test_stacking_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="only widths may differ"):
        backprop.StackedMLP([MLPSpec(2, (4,), 1), MLPSpec(2, (4, 4), 1)], [_gen(0), _gen(1)], CPU)
    with pytest.raises(ValueError, match="only widths may differ"):
        backprop.StackedMLP([MLPSpec(2, (4,), 1), MLPSpec(2, (4,), 1, "tanh")], [_gen(0), _gen(1)], CPU)
    with pytest.raises(ValueError, match="batch norm and dropout go through autograd"):
        backprop.StackedMLP([MLPSpec(2, (4,), 1, batch_norm=True)], [_gen(0)], CPU)


def test_unknown_loss_lists_the_choices():
    with pytest.raises(ValueError, match="Unknown loss 'hinge': choose one of bce, cross_entropy, mse"):
        backprop.targets(torch.zeros(3, dtype=torch.long), "hinge", 1)
    with pytest.raises(ValueError, match="Unknown loss 'hinge'"):
        backprop.loss_and_grad(torch.zeros(1, 3, 1), torch.zeros(1, 3, 1), "hinge")
