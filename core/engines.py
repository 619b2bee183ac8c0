"""The two engines behind the one training loop: hand-written maths for plain MLPs, autograd for the rest.

`make_engine` picks one for a list of variants. All take the same steps: `step(xb, tb, lr)` on
K variants' batches (`epoch` for a whole shuffled epoch of them), `outputs(x)` in evaluation mode, and
`save`/`restore` of the best weights. The manual engine runs `core.backprop` (K variants in one batched
pass, no autograd bookkeeping); on the CPU a small net's epochs run that maths compiled (`core.compiled`,
where Numba is installed: a step of a small net is then arithmetic, not operator calls); the autograd
engine runs any nn.Module with its real `torch.optim` optimizer, one variant at a time.
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core import backprop, compiled
from core.device import generator
from core.models import MLPSpec, build_mlp

if TYPE_CHECKING:
    from core.training import TrainConfig, Variant

# Dropout and module factories draw from torch's one global RNG. Streamlit runs every session as a
# thread of one process, so a variant swaps its own RNG state in and out under this lock: two
# students training at once cannot interleave their draws (same config, same numbers).
GLOBAL_RNG = threading.Lock()

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    name.lower(): cls
    for name, cls in vars(torch.optim).items()
    if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer) and cls is not torch.optim.Optimizer
}

class _Steps:
    def step(self, xb: Tensor, yb: Tensor, lr: Tensor) -> Tensor:
        raise NotImplementedError

    def epoch(self, xs: Tensor, ts: Tensor, lrs: Tensor, batch: int) -> Tensor:
        """Step through the shuffled (K, N, ...) xs and ts batch by batch; lrs: (steps, K, 1). -> (steps, K) losses."""
        # The batches as views made in one call each: per step the loop then dispatches only the step itself.
        return torch.stack([self.step(*b) for b in zip(xs.split(batch, dim=1), ts.split(batch, dim=1), lrs.unbind(0))])


class ManualEngine(_Steps):
    """K plain MLPs trained by the hand-written maths of core.backprop (SGD or Adam/AdamW)."""

    def __init__(self, specs: list[MLPSpec], trains: list[TrainConfig], loss: str, device: torch.device):
        self.specs = specs
        self.net = backprop.StackedMLP(specs, [generator(t.seed) for t in trains], device)
        self.loss = loss
        decays = torch.tensor([[t.weight_decay] for t in trains], device=device)
        self.weight_decay = decays if bool(decays.any()) else None  # (K, 1)
        name, kw = trains[0].optimizer.lower(), dict(trains[0].optimizer_kwargs)
        self.optimizer: backprop.SGD | backprop.Adam = (
            backprop.SGD(trains[0].momentum, bool(kw.get("nesterov", False)))
            if name == "sgd"
            else backprop.Adam(kw.get("betas", (0.9, 0.999)), kw.get("eps", 1e-8), decoupled=name == "adamw")  # type: ignore[arg-type]
        )
        self.best = self.net.flat.clone()

    def step(self, xb: Tensor, yb: Tensor, lr: Tensor) -> Tensor:
        out, cache = self.net.forward(xb)  # 1 forward pass
        loss, d_out = backprop.loss_and_grad(out, yb, self.loss)  # 2 loss
        grad = self.net.backward(cache, d_out)  # 3 backward pass
        self.optimizer.step(self.net.flat, grad, lr, self.weight_decay)  # 4 update
        return loss

    def outputs(self, x: Tensor) -> Tensor:
        return self.net.forward(x.expand(self.net.K, *x.shape))[0]

    def save(self, improved: Tensor) -> None:
        self.best[improved] = self.net.flat[improved]

    def restore(self) -> None:
        self.net.flat.copy_(self.best)

    def states(self) -> list[dict[str, Tensor]]:
        return self.net.state_dicts()

    def modules(self) -> list[nn.Module]:
        models: list[nn.Module] = [build_mlp(spec) for spec in self.specs]
        for model, state in zip(models, self.states()):
            model.load_state_dict(state)
        return models


def aux_loss(model: nn.Module) -> Tensor | float:
    """The extra training term a module computed in its last forward pass (0 if none).

    A module that trains on more than its output's loss stores that term as `self.aux_loss` in
    `forward`: a variational autoencoder's KL divergence, a GAN's game on generated samples. It is
    added to the loss that trains; the curves the trainer reports (its evaluation) show the data
    term alone, so that they compare with every other model's.
    """
    value = getattr(model, "aux_loss", None)
    return 0.0 if value is None else value


class CompiledEngine(ManualEngine):
    """The manual engine with each epoch one call of `core.compiled` on the same weights (CPU); outputs in PyTorch."""

    def __init__(self, specs: list[MLPSpec], trains: list[TrainConfig], loss: str, device: torch.device):
        super().__init__(specs, trains, loss, device)
        net, opt = self.net, self.optimizer
        self.p = net.flat.numpy()  # the tensor's own memory: the compiled update is the tensor's
        self.buffers = np.zeros((4, *self.p.shape), dtype=np.float32)  # gradient, momentum, Adam's m and v
        sizes = np.array(net.sizes, dtype=np.int64)
        w_at = np.concatenate([[0], np.cumsum(sizes[:-1] * sizes[1:] + sizes[1:])[:-1]])
        self.layout = (w_at, w_at + sizes[:-1] * sizes[1:], sizes, np.array(net.variant_sizes, dtype=np.int64))
        decay = np.zeros(net.K, np.float32) if self.weight_decay is None else self.weight_decay[:, 0].cpu().numpy()
        sgd = isinstance(opt, backprop.SGD)
        # Every call passes the same types (Python int, float and bool, float32 arrays): one compiled signature.
        self.rule = (compiled.OPTIMIZERS["sgd" if sgd else "adamw" if opt.decoupled else "adam"],  # type: ignore[union-attr]
                     float(opt.momentum) if sgd else 0.0, bool(opt.nesterov) if sgd else False,  # type: ignore[union-attr]
                     decay.astype(np.float32), self.weight_decay is not None,
                     *((0.9, 0.999, 1e-8) if sgd else map(float, (opt.b1, opt.b2, opt.eps))))  # type: ignore[union-attr]
        self.codes = (compiled.ACTIVATIONS[specs[0].activation], compiled.LOSSES[loss])
        self.t = 0  # Adam's steps so far

    def epoch(self, xs: Tensor, ts: Tensor, lrs: Tensor, batch: int) -> Tensor:
        steps, rows, width = lrs.shape[0], min(batch, xs.shape[1]), int(self.layout[2].max())
        n_layers = len(self.layout[0])
        work = (np.empty((n_layers + 1, rows, width), np.float32), np.empty((n_layers, rows, width), np.float32),
                np.empty((2, rows, width), np.float32))
        losses = np.empty((steps, self.net.K), np.float32)
        arrays = [np.ascontiguousarray(t.numpy(), dtype=np.float32) for t in (xs, ts, lrs[..., 0])]
        compiled.epoch(self.p, *self.buffers, *self.layout, *arrays, int(batch), *self.codes, *self.rule, self.t,
                       *work, losses)
        self.t += steps
        return torch.from_numpy(losses)

    def step(self, xb: Tensor, yb: Tensor, lr: Tensor) -> Tensor:
        return self.epoch(xb, yb, lr.unsqueeze(0), xb.shape[1])[0]


class AutogradEngine(_Steps):
    """K nn.Modules, each with its real torch.optim optimizer, trained with loss.backward()."""

    def __init__(self, models: list[nn.Module], trains: list[TrainConfig], loss: str, device: torch.device):
        self.models = [m.to(device) for m in models]
        self.optimizers = [
            OPTIMIZERS[t.optimizer.lower()](m.parameters(), **t.optimizer_settings())  # type: ignore[arg-type]
            for m, t in zip(self.models, trains)
        ]
        self.loss = loss
        self.best = [copy.deepcopy(m.state_dict()) for m in self.models]
        self.rng = [generator(t.seed).get_state() for t in trains]  # each variant its own dropout stream

    def _loss(self, out: Tensor, t: Tensor) -> Tensor:
        """The same losses as backprop.loss_and_grad, through torch.nn.functional and autograd."""
        if self.loss == "bce":
            return F.binary_cross_entropy_with_logits(out, t)
        if self.loss == "cross_entropy":  # t: class probabilities (one-hot); classes last, as dense outputs have them
            return F.cross_entropy(out.reshape(-1, out.shape[-1]), t.reshape(-1, t.shape[-1]))
        return F.mse_loss(out, t)

    def step(self, xb: Tensor, yb: Tensor, lr: Tensor) -> Tensor:
        losses = []
        for k, (model, opt, lr_k) in enumerate(zip(self.models, self.optimizers, lr[:, 0].tolist())):
            for group in opt.param_groups:
                group["lr"] = lr_k
            model.train()
            opt.zero_grad(set_to_none=True)
            with GLOBAL_RNG:
                torch.set_rng_state(self.rng[k])
                loss = self._loss(model(xb[k]), yb[k]) + aux_loss(model)
                self.rng[k] = torch.get_rng_state()
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        return torch.stack(losses)

    @torch.no_grad()
    def outputs(self, x: Tensor) -> Tensor:
        for m in self.models:
            m.eval()
        return torch.stack([m(x) for m in self.models])

    def save(self, improved: Tensor) -> None:
        for k in torch.nonzero(improved).flatten().tolist():
            self.best[k] = copy.deepcopy(self.models[k].state_dict())

    def restore(self) -> None:
        for m, state in zip(self.models, self.best):
            m.load_state_dict(state)

    def states(self) -> list[dict[str, Tensor]]:
        return [{k: v.detach().cpu().clone() for k, v in m.state_dict().items()} for m in self.models]

    def modules(self) -> list[nn.Module]:
        return [copy.deepcopy(m).cpu() for m in self.models]


def hand_written(variants: Sequence[Variant]) -> bool:
    """Can the variants train together through core.backprop's maths?"""
    first = variants[0]
    if not all(isinstance(v.model, MLPSpec) and not v.model.batch_norm and not v.model.dropout for v in variants):
        return False
    specs = [v.model for v in variants]
    if len({(s.n_in, s.n_out, len(s.widths), s.activation) for s in specs}) > 1:  # type: ignore[union-attr]
        return False
    name = first.train.optimizer.lower()
    allowed = {"sgd": {"nesterov"}, "adam": {"betas", "eps"}, "adamw": {"betas", "eps"}}.get(name)
    if allowed is None:
        return False
    shared = [(v.train.optimizer.lower(), v.train.momentum, v.train.optimizer_kwargs) for v in variants]
    return len(set(shared)) == 1 and all(k in allowed for k, _ in first.train.optimizer_kwargs)


def compilable(variants: Sequence[Variant], device: torch.device, batch: int) -> bool:
    """Can hand-written variants train through `core.compiled`: Numba installed, on the CPU, a small step
    (variants x batch x parameters, the multiply-adds of a layer pass, within `compiled.MAX_WORK`: the compiled
    epoch loops over the variants, where the eager engine's one bmm shares its operator calls among them)?"""
    sizes = [max(s) for s in zip(*((v.model.n_in, *v.model.widths, v.model.n_out) for v in variants))]  # type: ignore[union-attr]
    params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    return compiled.AVAILABLE and device.type == "cpu" and len(variants) * batch * params <= compiled.MAX_WORK


def make_engine(variants: Sequence[Variant], loss: str, device: torch.device,
                batch: int) -> ManualEngine | AutogradEngine:
    """The engine for the variants: hand-written where they allow (compiled where `compilable` at this batch
    size in samples), autograd otherwise, or the one they ask for (ValueError if it cannot train them)."""
    trains = [v.train for v in variants]
    wanted = {t.engine for t in trains} - {"auto"}
    if len(wanted) > 1:
        raise ValueError("All variants must ask for the same engine.")
    manual_ok = hand_written(variants)
    if wanted & {"manual", "compiled"} and not manual_ok:
        raise ValueError("The hand-written engine covers plain MLPs with SGD or Adam(W) sharing depth and optimizer.")
    if wanted == {"compiled"} and not (compiled.AVAILABLE and device.type == "cpu"):
        raise ValueError("The compiled engine needs numba (pip install numba) and the CPU.")
    if manual_ok and not wanted and compilable(variants, device, batch) or wanted == {"compiled"}:
        return CompiledEngine([v.model for v in variants], trains, loss, device)  # type: ignore[misc]
    if manual_ok and wanted != {"autograd"}:
        return ManualEngine([v.model for v in variants], trains, loss, device)  # type: ignore[misc]
    models = []
    for v in variants:
        g = generator(v.train.seed)
        with GLOBAL_RNG:
            torch.manual_seed(v.train.seed)  # factories that draw from the global RNG get the same weights as alone
            models.append(build_mlp(v.model, g) if isinstance(v.model, MLPSpec) else v.model(g))
    return AutogradEngine(models, trains, loss, device)
