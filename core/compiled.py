"""One training epoch of core.backprop's maths, compiled by Numba where it is installed.

A small MLP's step (a 2-8-8-1 net on a batch of 10) is a few hundred multiply-adds: in eager PyTorch
its cost is the ~30 operator calls, not the arithmetic. Here a whole epoch is one call: the same
forward pass, loss, backward pass and update as `StackedMLP`, `loss_and_grad`, `SGD` and `Adam`,
written as loops over each variant, batch, row and unit, in float32 like the eager engine, on the
eager engine's own flat (K, P) weights (a NumPy view of the tensor). The sums run in another order
than a BLAS product, so the two agree to rounding, not bit for bit (tests check them equal within
tolerance). `core.engines` picks it by the run's size and device alone (never by timing), so a run gets the same
numbers on every visit of the same server.

Without Numba (`AVAILABLE` False) the eager engine trains instead.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from core.activations import ELU_ALPHA, LEAKY_SLOPE

try:
    import numba
except ImportError:  # pragma: no cover - the lock installs numba; the eager engine is the fallback
    numba = None  # type: ignore[assignment]

AVAILABLE = numba is not None
ACTIVATIONS = {"sigmoid": 0, "tanh": 1, "relu": 2, "leaky_relu": 3, "elu": 4, "gelu": 5}
LOSSES = {"bce": 0, "cross_entropy": 1, "mse": 2}
OPTIMIZERS = {"sgd": 0, "adam": 1, "adamw": 2}
# A step costs these loops about variants x rows x parameters multiply-adds, and eager PyTorch a fixed ~30 operator
# calls (shared by the variants) plus BLAS products: from about this many on, the eager engine is as fast (timed
# on a 2-core CPU; the benchmark's `training.batched_auto_vs_eager` checks that K = 8 is left to the eager engine).
MAX_WORK = 50_000


def _jit(f):  # compiled lazily, at its first call; kept on disk by Numba's cache where a folder is writable
    if numba is None:
        return f
    try:
        return numba.njit(cache=True, nogil=True)(f)
    except RuntimeError:  # "no locator available": nowhere to write the cache; compile at each start instead
        return numba.njit(nogil=True)(f)


@_jit
def _act(z: float, act: int) -> float:
    if act == 0:
        return 1.0 / (1.0 + math.exp(-z))
    if act == 1:
        return math.tanh(z)
    if act == 2:
        return z if z > 0.0 else 0.0
    if act == 3:
        return z if z > 0.0 else LEAKY_SLOPE * z
    if act == 4:
        return z if z > 0.0 else ELU_ALPHA * math.expm1(z)
    return 0.5 * z * (1.0 + math.erf(z / math.sqrt(2.0)))


@_jit
def _act_grad(z: float, a: float, act: int) -> float:
    """f'(z), from the pre-activation z or the output a = f(z), as PyTorch's backward kernels take it."""
    if act == 0:
        return a * (1.0 - a)
    if act == 1:
        return 1.0 - a * a
    if act == 2:
        return 1.0 if z > 0.0 else 0.0
    if act == 3:
        return 1.0 if z > 0.0 else LEAKY_SLOPE
    if act == 4:
        return 1.0 if z > 0.0 else ELU_ALPHA * math.exp(z)
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0))) + z * math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


@_jit
def _loss(out: np.ndarray, t: np.ndarray, d: np.ndarray, rows: int, n_out: int, loss: int) -> float:
    """The batch's loss; d <- dLoss/dz, as `backprop.loss_and_grad` (out, t: (rows, n_out))."""
    total = 0.0
    if loss == 0:  # bce, written stably: softplus(z) - t z
        for r in range(rows):
            for j in range(n_out):
                z, y = out[r, j], t[r, j]
                total += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z
                d[r, j] = (1.0 / (1.0 + math.exp(-z)) - y) / rows
        return total / (rows * n_out)
    if loss == 1:  # cross entropy over the last axis: log softmax
        for r in range(rows):
            top = out[r, 0]
            for j in range(1, n_out):
                top = max(top, out[r, j])
            norm = 0.0
            for j in range(n_out):
                norm += math.exp(out[r, j] - top)
            log_norm = top + math.log(norm)
            for j in range(n_out):
                log_p = out[r, j] - log_norm
                total -= t[r, j] * log_p
                d[r, j] = (math.exp(log_p) - t[r, j]) / rows
        return total / rows
    for r in range(rows):  # mse
        for j in range(n_out):
            diff = out[r, j] - t[r, j]
            total += diff * diff
            d[r, j] = 2.0 * diff / (rows * n_out)
    return total / (rows * n_out)


@_jit
def _epoch(flat, grad, buf, m, v, w_at, b_at, sizes, own, xs, ts, lrs, batch, act, loss, opt, momentum, nesterov,
           decay, has_decay, b1, b2, eps, t0, acts, pre, delta, losses):
    """Train K variants one epoch: for each, every batch of its shuffled xs/ts (K, N, ...) in turn.

    flat, grad, buf, m, v: (K, P); w_at, b_at: each layer's offset into P; sizes: the padded layer sizes
    (the layout's strides); own: (K, L + 1) each variant's true sizes (its padding is never touched, so stays 0);
    lrs: (steps, K); acts, pre, delta: work space; losses: (steps, K) out. t0: Adam's steps taken before.
    """
    n_layers = len(w_at)
    for k in range(flat.shape[0]):
        p, g = flat[k], grad[k]
        for s in range(lrs.shape[0]):
            lo = s * batch
            rows = min(xs.shape[1], lo + batch) - lo
            for r in range(rows):
                for i in range(own[k, 0]):
                    acts[0, r, i] = xs[k, lo + r, i]
            for layer in range(n_layers):  # forward: z = a @ W + b; a = f(z) but at the output
                n_in, n_out, stride = own[k, layer], own[k, layer + 1], sizes[layer + 1]
                for r in range(rows):
                    for j in range(n_out):
                        z = p[b_at[layer] + j]
                        for i in range(n_in):
                            z += acts[layer, r, i] * p[w_at[layer] + i * stride + j]
                        pre[layer, r, j] = z
                        acts[layer + 1, r, j] = z if layer == n_layers - 1 else _act(z, act)
            n_out = own[k, n_layers]
            losses[s, k] = _loss(acts[n_layers], ts[k, lo : lo + rows], delta[0], rows, n_out, loss)
            cur = 0
            for layer in range(n_layers - 1, -1, -1):  # backward: gradients of b and W, then the delta below
                n_in, n_out, stride = own[k, layer], own[k, layer + 1], sizes[layer + 1]
                for j in range(n_out):
                    gb = 0.0
                    for r in range(rows):
                        gb += delta[cur, r, j]
                    g[b_at[layer] + j] = gb
                for i in range(n_in):
                    for j in range(n_out):
                        gw = 0.0
                        for r in range(rows):
                            gw += acts[layer, r, i] * delta[cur, r, j]
                        g[w_at[layer] + i * stride + j] = gw
                if layer > 0:
                    for r in range(rows):
                        for i in range(n_in):
                            back = 0.0
                            for j in range(n_out):
                                back += delta[cur, r, j] * p[w_at[layer] + i * stride + j]
                            delta[1 - cur, r, i] = back * _act_grad(pre[layer - 1, r, i], acts[layer, r, i], act)
                    cur = 1 - cur
            lr, wd = lrs[s, k], decay[k]
            if opt == 0:  # SGD: d = g (+ wd p), through the momentum buffer
                for q in range(p.shape[0]):
                    d = g[q] + wd * p[q] if has_decay else g[q]
                    if momentum != 0.0:
                        buf[k, q] = momentum * buf[k, q] + d
                        d = d + momentum * buf[k, q] if nesterov else buf[k, q]
                    p[q] -= lr * d
            else:  # Adam, AdamW (decoupled decay)
                step = t0 + s + 1
                c1, c2 = 1.0 - b1**step, 1.0 - b2**step
                for q in range(p.shape[0]):
                    gq = g[q]
                    if has_decay:
                        if opt == 2:
                            p[q] *= 1.0 - lr * wd
                        else:
                            gq = gq + wd * p[q]
                    m[k, q] += (1.0 - b1) * (gq - m[k, q])
                    v[k, q] = b2 * v[k, q] + (1.0 - b2) * gq * gq
                    p[q] -= (lr / c1) * m[k, q] / (math.sqrt(v[k, q]) / math.sqrt(c2) + eps)


def epoch(*args) -> None:
    """Run the compiled epoch (see `_epoch`); RuntimeError without Numba."""
    if numba is None:
        raise RuntimeError("The compiled engine needs numba (pip install numba).")
    _epoch(*args)


def warm() -> None:
    """Compile the epoch now (or read it from Numba's disk cache): one step of a 2-2-1 net on two points, with
    every argument of the types `CompiledEngine` passes, so that its runs find this very signature."""
    if numba is None:
        return
    f32, layout = np.float32, (np.array([0, 6]), np.array([4, 8]), np.array([2, 2, 1]), np.array([[2, 2, 1]]))
    buffers = np.zeros((5, 1, 9), f32)  # weights, gradient, momentum, Adam's m and v
    _epoch(*buffers, *layout, np.zeros((1, 2, 2), f32), np.zeros((1, 2, 1), f32), np.zeros((1, 1), f32), 2,
           ACTIVATIONS["tanh"], LOSSES["bce"], OPTIMIZERS["sgd"], 0.0, False, np.zeros(1, f32), False, 0.9, 0.999,
           1e-8, 0, np.zeros((3, 2, 2), f32), np.zeros((2, 2, 2), f32), np.zeros((2, 2, 2), f32), np.zeros((1, 1), f32))


_warming = threading.Lock()
_warm = False


def warm_once() -> None:
    """`warm()` once per process, the first caller doing it and any other waiting: a server calls it as its first
    page begins, before it freezes what the imports made for the garbage collector (ui/chrome.py), so the
    modules Numba loads to compile are among them. From Numba's disk cache it takes a fraction of a second;
    compiling, the first time on a machine, a few. (A thread of its own raced the page's imports: it deadlocked
    on a module lock, and a rerun found new modules to freeze.)"""
    global _warm
    with _warming:
        if not _warm:
            warm()
            _warm = True
