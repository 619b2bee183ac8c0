"""The learning cycle written out as tensor maths, for K stacked MLPs at once (slides 28, 36-39).

Forward pass, loss, backward pass and weight update, by hand, with the shapes in comments.
K = 1 is one network; K > 1 trains K variants (seeds, learning rates, widths of the same
depth) in one batched pass: every matrix product is a `torch.bmm` over the variant axis,
so K runs cost little more than one. The numbers equal autograd + `torch.optim` (tests prove it), so
what the learning-cycle page shows step by step is what trains.

All parameters of all variants live in one flat (K, P) tensor; W and b of each layer are
views into it. The update is then a few whole-tensor operations, however deep the net.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from core import activations
from core.models import MLPSpec, init_params

LOSSES = ("bce", "cross_entropy", "mse")


@dataclass
class Cache:
    """What the forward pass keeps for the backward pass: each layer's input and pre-activation."""

    inputs: list[Tensor]  # a_{l-1}: (K, B, n_in of layer l)
    pre: list[Tensor]  # z_l = a_{l-1} @ W_l + b_l: (K, B, n_out of layer l)
    deltas: list[Tensor] = field(default_factory=list)  # dLoss/dz_l, filled by backward, last layer first


class StackedMLP:
    """K MLPs of the same depth stored as one flat (K, P) parameter tensor."""

    def __init__(self, specs: Sequence[MLPSpec], generators: Sequence[torch.Generator], device: torch.device):
        first = specs[0]
        shared = (first.n_in, first.n_out, len(first.widths), first.activation)
        if any((s.n_in, s.n_out, len(s.widths), s.activation) != shared for s in specs):
            raise ValueError("Stacked variants must share inputs, outputs, depth and activation; "
                             "only widths may differ.")
        if any(s.batch_norm or s.dropout for s in specs):
            raise ValueError("The hand-written engine covers plain MLPs; batch norm and dropout go through autograd.")
        self.K = len(specs)
        self.variant_sizes = [s.sizes for s in specs]
        self.act = activations.get(first.activation)
        widths = tuple(max(w) for w in zip(*(s.widths for s in specs))) if first.widths else ()
        self.sizes = (first.n_in, *widths, first.n_out)  # padded to the widest variant
        shapes = [((a, b), (1, b)) for a, b in zip(self.sizes, self.sizes[1:])]
        self.P = sum(a * b + b for (a, b), _ in shapes)
        self.flat = torch.zeros(self.K, self.P, device=device)
        self.grad = torch.zeros_like(self.flat)
        self.W, self.b = self._views(self.flat)
        self.gW, self.gb = self._views(self.grad)
        mask = torch.zeros(self.K, self.P, device=device)
        mW, mb = self._views(mask)
        for k, (spec, g) in enumerate(zip(specs, generators)):
            for layer, (w, b) in enumerate(init_params(spec, g)):  # (fan_in, fan_out), (fan_out,)
                self.W[layer][k, : w.shape[0], : w.shape[1]] = w.to(device)
                self.b[layer][k, 0, : b.shape[0]] = b.to(device)
                mW[layer][k, : w.shape[0], : w.shape[1]] = 1
                mb[layer][k, 0, : b.shape[0]] = 1
        # Narrower variants are zero-padded; the mask keeps their padding at exactly zero.
        self.mask = None if bool(mask.all()) else mask

    def _views(self, flat: Tensor) -> tuple[list[Tensor], list[Tensor]]:
        W, b, offset = [], [], 0
        for n_in, n_out in zip(self.sizes, self.sizes[1:]):
            W.append(flat[:, offset : offset + n_in * n_out].view(self.K, n_in, n_out))
            offset += n_in * n_out
            b.append(flat[:, offset : offset + n_out].view(self.K, 1, n_out))
            offset += n_out
        return W, b

    def forward(self, x: Tensor) -> tuple[Tensor, Cache]:
        """x: (K, B, n_in) -> output z_L: (K, B, n_out). Hidden layers: a_l = act(a_{l-1} @ W_l + b_l)."""
        cache = Cache([], [])
        a = x
        for layer, (W, b) in enumerate(zip(self.W, self.b)):
            cache.inputs.append(a)
            z = torch.baddbmm(b, a, W)  # (K, B, n_out) = b + a @ W, one bmm for all K variants
            cache.pre.append(z)
            a = self.act.f(z) if layer < len(self.W) - 1 else z
        return a, cache

    def backward(self, cache: Cache, d_out: Tensor) -> Tensor:
        """Chain rule from dLoss/dz_L (K, B, n_out) back to every weight; fills and returns self.grad (K, P)."""
        delta = d_out
        grads: list[Tensor] = []  # last layer first: db_L, dW_L, db_{L-1}, ...
        for layer in range(len(self.W) - 1, -1, -1):
            cache.deltas.append(delta)
            grads.append(delta.sum(dim=1))  # db_l = sum of delta_l over the batch: (K, n_out)
            grads.append(torch.bmm(cache.inputs[layer].transpose(1, 2), delta))  # dW_l = a_{l-1}^T @ delta_l
            if layer > 0:  # delta_{l-1} = (delta_l @ W_l^T) * act'(z_{l-1}), the product in one fused kernel
                back = torch.bmm(delta, self.W[layer].transpose(1, 2))  # (K, B, n_in of this layer)
                delta = self.act.chain(back, cache.pre[layer - 1], cache.inputs[layer])
        # One copy into the flat (K, P) buffer: cheaper than writing each product into a strided view.
        torch.cat([g.reshape(self.K, -1) for g in reversed(grads)], dim=1, out=self.grad)
        if self.mask is not None:
            self.grad.mul_(self.mask)
        return self.grad

    def state_dicts(self) -> list[dict[str, Tensor]]:
        """Each variant's weights under nn.Sequential's names ("0.weight", ...), unpadded, on the CPU."""
        out = []
        for k, sizes in enumerate(self.variant_sizes):
            state = {}
            for layer, (W, b) in enumerate(zip(self.W, self.b)):
                n_in, n_out = sizes[layer], sizes[layer + 1]
                state[f"{2 * layer}.weight"] = W[k, :n_in, :n_out].T.detach().cpu().clone()  # Linear, act, Linear, ...
                state[f"{2 * layer}.bias"] = b[k, 0, :n_out].detach().cpu().clone()
            out.append(state)
        return out

def targets(y: Tensor, loss: str, n_out: int) -> Tensor:
    """Labels -> float targets shaped like the network's output (N, n_out): 0/1, one-hot or values."""
    if loss == "bce":
        return y.float().unsqueeze(-1)
    if loss == "cross_entropy":
        return F.one_hot(y, n_out).float()
    if loss == "mse":
        return y.float()
    raise ValueError(f"Unknown loss {loss!r}: choose one of {', '.join(LOSSES)}.")


def loss_and_grad(out: Tensor, t: Tensor, loss: str) -> tuple[Tensor, Tensor]:
    """Loss per variant (K,) and its gradient with respect to the network's output z, (K, B, n_out).

    t are `targets(...)`, shaped like out. Dense outputs (K, B, ..., C), one prediction per pixel or
    time step with the classes last, count every position as a sample (B is then samples x positions).
    Each loss is the mean over the batch, as in PyTorch:
    bce = mean(-t log sigmoid(z) - (1 - t) log(1 - sigmoid(z))), dz = (sigmoid(z) - t) / B
    cross_entropy = mean(-sum_c t_c log softmax(z)_c), dz = (softmax(z) - t) / B
    mse = mean((z - t)^2), dz = 2 (z - t) / (B n_out)
    """
    B = out[0].numel() // out.shape[-1]  # predictions per variant: samples, or samples x positions (pixels, steps)
    if loss == "bce":
        value = (F.softplus(out) - t * out).flatten(1).mean(dim=1)  # the BCE above, written to be stable for large |z|
        return value, (torch.sigmoid(out) - t) / B
    if loss == "cross_entropy":
        log_p = torch.log_softmax(out, dim=-1)  # (K, B, ..., C)
        return (t * log_p).flatten(1).sum(dim=1) / -B, (log_p.exp_() - t) / B
    if loss == "mse":
        diff = out - t
        return (diff**2).flatten(1).mean(dim=1), 2 * diff / diff[0].numel()
    raise ValueError(f"Unknown loss {loss!r}: choose one of {', '.join(LOSSES)}.")


class SGD:
    """torch.optim.SGD's update (momentum, Nesterov, weight decay) on a flat (K, P) tensor."""

    def __init__(self, momentum: float = 0.0, nesterov: bool = False):
        self.momentum, self.nesterov = momentum, nesterov
        self.buf: Tensor | None = None

    def step(self, p: Tensor, g: Tensor, lr: Tensor, weight_decay: Tensor | None) -> None:
        """p <- p - lr * d, with d = g (+ weight_decay * p) through the momentum buffer. lr: (K, 1)."""
        d = g if weight_decay is None else g + weight_decay * p
        if self.momentum:
            if self.buf is None:
                self.buf = d.clone()
            else:
                self.buf.mul_(self.momentum).add_(d)
            d = d + self.momentum * self.buf if self.nesterov else self.buf
        p.addcmul_(lr, d, value=-1)  # p -= lr * d, lr broadcast over each variant's row


class Adam:
    """torch.optim.Adam's update (AdamW's when decoupled) on a flat (K, P) tensor."""

    def __init__(self, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, decoupled: bool = False):
        self.b1, self.b2 = betas
        self.eps, self.decoupled = eps, decoupled
        self.m: Tensor | None = None
        self.v: Tensor | None = None
        self.t = 0

    def step(self, p: Tensor, g: Tensor, lr: Tensor, weight_decay: Tensor | None) -> None:
        if weight_decay is not None:
            if self.decoupled:
                p.mul_(1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        if self.m is None or self.v is None:
            self.m, self.v = torch.zeros_like(p), torch.zeros_like(p)
        self.t += 1
        self.m.lerp_(g, 1 - self.b1)  # m = b1 m + (1 - b1) g
        self.v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)  # v = b2 v + (1 - b2) g^2
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t  # bias corrections
        denom = (self.v.sqrt() / c2**0.5).add_(self.eps)
        p.sub_((lr / c1) * self.m / denom)
