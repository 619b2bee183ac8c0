"""Vanishing gradients (slides 50-53): per-layer gradient norms, activation statistics and dead units of deep MLPs.

Per-layer measurements are plain functions of a network and a probe batch, so a test (or a
notebook) can call them on any `nn.Sequential` that `core.models.build_mlp` makes:
- `gradient_norms`: one forward + backward pass of our own, ||dLoss/dW|| of every Linear layer;
- `recording`: forward hooks on the activation modules that keep each layer's input z and
  output f(z), removed again when the `with` block ends;
- `dead_fraction`: the share of a layer's units whose derivative f'(z) is 0 on every row.
The experiments train through the one trainer (`core.training`) and measure the CPU copies
of the live networks that its `on_progress(fraction, Snapshot)` hands over every epoch:
- `gradient_flow`: the same deep MLP with sigmoid, tanh, ReLU, Leaky ReLU and ELU (slides 50-51);
- `dying_relu`: ReLU against Leaky ReLU and ELU with a negative initial bias or large steps (slides 52-53).
Each result carries the facts its page's sentences rest on (`FlowFacts`, `SpreadFacts`, `DyingFacts`); a net
whose gradient norms or activations overflow says from which epoch, and what to change, in `FlowResult.messages`.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core import activations, data, training
from core.device import generator, pick_device
from core.models import INIT_LABELS, INITS, MLPSpec, build_mlp
from core.progress import Progress

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
SIGMOID_MAX_SLOPE = 0.25  # sigma'(z) = sigma(z) (1 - sigma(z)) is largest at z = 0: 0.5 * 0.5
PROBE_ROWS = 256  # rows of the fixed probe batch every per-layer statistic is measured on
MAX_DEPTH, MAX_WIDTH = 30, 256
BINS = 30
STATS = ("mean", "std", "spread")  # the activation statistics per layer, the columns of FlowResult.stats
DATASETS = ("digits", *data.TOY_2D)


# Per-layer measurements --------------------------------------------------------------------------


def dataset_of(name: str, seed: int = 0) -> data.Dataset:
    """Digits with pixels in [0, 1] (`data.scaled_digits`), or a 2-D toy set of 600 points as it is."""
    if name == "digits":
        return data.scaled_digits(seed)
    return data.load(data.DataConfig(name, n_samples=600, seed=seed))


def _is_activation(m: nn.Module) -> bool:
    return not isinstance(m, (nn.Linear, nn.BatchNorm1d, nn.Dropout, nn.Sequential))


def gradient_norms(model: nn.Module, x: Tensor, y: Tensor) -> np.ndarray:
    """(L,) Frobenius norm of dLoss/dW for each Linear layer, first layer first, on the batch (x, y).

    A forward and backward pass of our own (cross-entropy, or BCE for one output), in the model's
    current mode; the gradients are cleared again afterwards, so the model is left as it was.
    """
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        out = model(x)
        loss = (F.binary_cross_entropy_with_logits(out[:, 0], y.float()) if out.shape[1] == 1
                else F.cross_entropy(out, y))
        loss.backward()
    # In float64: a float32 norm squares its values, so gradients of about 1e30 (a deep net with Normal(0, 1) weights)
    # gave an infinite norm although every gradient was finite.
    norms = np.array([float(torch.linalg.vector_norm(m.weight.grad, dtype=torch.float64))
                      for m in linears])
    model.zero_grad(set_to_none=True)
    return norms


@contextlib.contextmanager
def recording(model: nn.Module, select: Callable[[nn.Module], bool] = _is_activation
              ) -> Iterator[list[tuple[Tensor, Tensor]]]:
    """Forward hooks on every module `select` picks (the activation modules unless told otherwise): the list
    fills with (input, output) per module, in order; for the activations that is (z, f(z)) per hidden layer.

    Every hook registered here is removed when the block ends, also after an exception.
    """
    seen: list[tuple[Tensor, Tensor]] = []
    handles = [m.register_forward_hook(lambda _m, inp, out: seen.append((inp[0].detach(), out.detach())))
               for m in model.modules() if select(m)]
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


def layer_values(model: nn.Module, x: Tensor, train_mode: bool = False) -> list[tuple[Tensor, Tensor]]:
    """(z, f(z)), each (N, width), of every hidden layer for the rows x. Train mode: batch norm uses
    this batch's statistics (and updates its running ones); eval mode: the running statistics."""
    was_training = model.training
    model.train(train_mode)
    with torch.no_grad(), recording(model) as seen:
        model(x)
    model.train(was_training)
    return seen


def dead_fraction(z: Tensor, activation: str) -> float:
    """Share of units (columns of z, (N, width)) whose derivative f'(z) is 0 on every row: no gradient
    ever passes them, so they never learn again. Leaky ReLU's f' is never 0 (at least 0.01): it cannot die.
    ELU's f'(z) = exp(z) only underflows to 0 in float32 for z below about -100, after a blow-up."""
    return float((activations.get(activation).grad(z) == 0).all(dim=0).float().mean())


def _histogram(a: Tensor, lo: float, hi: float, bins: int) -> np.ndarray:
    """Share of the values of `a` in each of `bins` equal bins over [lo, hi]; values outside go to the edge bins."""
    counts = torch.histc(a.clamp(lo, hi).flatten(), bins=bins, min=lo, max=hi)
    return (counts / counts.sum()).numpy()


HISTOGRAM_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 3.0), "leaky_relu": (-0.5, 3.0),
                   "elu": (-1.0, 3.0), "gelu": (-0.5, 3.0)}


# 1-2. Gradient norms and activation statistics, per activation --------------------------------------


@dataclass(frozen=True)
class GradientFlow:
    """The same deep MLP (depth x width) with each activation; per-layer statistics every epoch."""

    dataset: str = "digits"
    depth: int = 20  # hidden layers
    width: int = 32
    activations: tuple[str, ...] = ACTIVATIONS
    init: str = "he"
    batch_norm: bool = False
    epochs: int = 3  # few: the default view must stay interactive on a 2-core CPU
    lr: float = 0.01
    momentum: float = 0.9
    batch_size: int = 256
    bins: int = BINS
    seed: int = 0
    code_version: int = 4  # 2: facts, spread across inputs, non-finite norms; 3: overflow during training, messages;
    # 4: float64 norms, overflow cause by initialization, the fixed rate said

    def __post_init__(self) -> None:
        check_shape(self.dataset, self.depth, self.width)
        if not self.activations or len(set(self.activations)) != len(self.activations):
            raise ValueError("Pick at least one activation, each once.")
        for a in self.activations:
            activations.get(a)
        if self.init not in INITS:
            raise ValueError(f"Unknown initialization {self.init!r}: choose one of {', '.join(INITS)}.")
        if not 1 <= self.epochs <= 100:
            raise ValueError("Use between 1 and 100 epochs here.")
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be in (0, 10].")
        if not 0 <= self.momentum < 1:
            raise ValueError("Momentum must be at least 0 and below 1.")
        if not 2 <= self.bins <= 100:
            raise ValueError("Use between 2 and 100 histogram bins.")

    def spec(self, activation: str, n_in: int, n_out: int) -> MLPSpec:
        return MLPSpec(n_in, (self.width,) * self.depth, n_out, activation, self.init, self.batch_norm)


# How long gradient_flow takes on the 2-core CPU this app is sized for (issue 18: 3 s or more starts on a button).
# Timed cold through the page (AppTest): 1.3 and 1.9 s at the defaults; in core 2x at width 128, 4.2x at 256.
FLOW_SECONDS = 1.6


def flow_seconds(cfg: GradientFlow) -> float:
    """The seconds `gradient_flow(cfg)` takes here: FLOW_SECONDS scaled by the nets' size, number and epochs."""
    base = GradientFlow()
    size = cfg.depth * (1 + cfg.width / 64) / (base.depth * (1 + base.width / 64))
    return FLOW_SECONDS * size * len(cfg.activations) / len(base.activations) * cfg.epochs / base.epochs


def check_shape(dataset: str, depth: int, width: int) -> None:
    """The deep-net settings every experiment of this chapter shares, checked with a sentence."""
    if dataset not in DATASETS:
        raise ValueError(f"Pick a dataset: {', '.join(DATASETS)}.")
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"The depth must be between 1 and {MAX_DEPTH} hidden layers.")
    if not 2 <= width <= MAX_WIDTH:
        raise ValueError(f"The width must be between 2 and {MAX_WIDTH} units per layer.")


VANISHED = 0.01  # a net's gradient "vanished" when its first layer gets less than 1% of its last layer's
COLLAPSED = 0.01  # the forward signal "collapsed" when the last layer's spread is under 1% of the first layer's
SHRANK = 0.5  # ... and "shrank" when it is under half of it


@dataclass(frozen=True)
class FlowFacts:
    """What section 1 says about the gradient norms at initialization (slides 50-51).

    ratio_*: ||dLoss/dW|| of the first layer over that of the last (output) layer, per activation, at
    initialization (nan when the activation is not in the run, or its norms are not finite).
    sigmoid_bound: 0.25 ** depth, the most that `depth` sigmoid derivatives can leave of a gradient, since
    sigma'(z) <= 0.25: the derivatives alone shrink it by at least that factor; the weights multiply in too
    and can grow or shrink it further (so a measured ratio can lie above or below the bound).
    relu_he_ratio / relu_default_ratio: the same ratio for a ReLU net of this shape with He initialization
    and with PyTorch's default one, measured on the side, whatever the run's own initialization.
    """

    depth: int
    init: str  # label of the run's initialization
    activations_run: tuple[str, ...]  # labels, in the order of the run
    worst: str  # label of the net with the smallest finite ratio ("" when none is finite)
    worst_ratio: float
    best: str
    best_ratio: float
    vanished: tuple[str, ...]  # labels whose ratio is below VANISHED
    nonfinite: tuple[str, ...]  # labels with an infinite or NaN gradient norm at initialization
    ratio_sigmoid: float
    ratio_tanh: float
    ratio_relu: float
    ratio_leaky_relu: float
    ratio_elu: float
    sigmoid_bound: float
    relu_he_ratio: float
    relu_default_ratio: float
    overflowed: tuple[str, ...]  # labels whose gradient norms or activations overflowed at some measured epoch
    overflow_epochs: tuple[int, ...]  # the epoch each of them first did (0 = at initialization)


@dataclass(frozen=True)
class SpreadFacts:
    """What section 2 says about one epoch: how much of the spread across inputs survives to the last layer.

    spread: per unit, the standard deviation of its activation over the probe rows, averaged over the layer's
    units (0 means every input gives the same value). The net named is the one whose last layer keeps the
    smallest share of its first layer's spread.
    """

    epoch: int
    spread_net: str
    spread_first: float
    spread_last: float
    spread_share: float  # spread_last / spread_first
    collapsed: bool  # spread_share < COLLAPSED: every input gives almost the same output
    shrank: bool  # spread_share < SHRANK


@dataclass
class FlowResult:
    grads: pd.DataFrame  # activation, layer (1 = first Linear), epoch (0 = at initialization), grad_norm
    stats: pd.DataFrame  # activation, layer (hidden), epoch, mean, std, spread: of the activations on the probe batch
    histograms: pd.DataFrame  # activation, layer, epoch, value (bin centre), lo, hi (bin edges), share
    history: pd.DataFrame  # variant (activation label), epoch, split, metric, value
    ratio: dict[str, float]  # activation label -> first layer's gradient norm / last layer's, at initialization
    accuracy: dict[str, float]  # activation label -> final validation accuracy
    depth: int
    epochs: int
    facts: FlowFacts
    spread: tuple[SpreadFacts, ...]  # one per epoch, 0 = at initialization
    messages: dict[str, str]  # activation label -> what overflowed or blew up, and what to change

    def grads_shown(self, initialization_only: bool = False) -> pd.DataFrame:
        """The gradient norms a log-scale chart can draw: non-finite ones left out, zeros raised to 1e-30."""
        g = self.grads[self.grads.epoch == 0] if initialization_only else self.grads
        g = g[np.isfinite(g.grad_norm)]
        return g.assign(grad_norm=g.grad_norm.clip(lower=1e-30))

    @property
    def middle_layer(self) -> int:
        """The hidden layer the histograms show first: the middle one."""
        return max(1, self.depth // 2)

    def stats_at(self, epoch: int) -> pd.DataFrame:
        """The activation statistics of `epoch` a chart can draw: a net's overflowed layers left out."""
        at = self.stats[self.stats.epoch == epoch]
        return at[np.isfinite(at[list(STATS)].to_numpy()).all(axis=1)]

    def histograms_of(self, layer: int) -> pd.DataFrame:
        """Layer `layer`'s histograms over training; an epoch whose activations overflowed has no bins."""
        return self.histograms[(self.histograms.layer == layer) & np.isfinite(self.histograms.share)]


def _label(activation: str) -> str:
    return activations.LABELS.get(activation, activation)


def first_over_last(norms: np.ndarray) -> float:
    """The first layer's gradient norm over the last one's; nan when either is not finite or the last is 0."""
    if not np.isfinite(norms).all() or norms[-1] == 0:
        return float("nan")
    return float(norms[0] / norms[-1])


def overflow(grads: pd.DataFrame, stats: pd.DataFrame) -> dict[str, int]:
    """Activation label -> the first epoch its gradient norms or activation statistics overflowed (inf or NaN)."""
    first = training.first_nonfinite(grads, "activation", "epoch", ["grad_norm"])
    for label, epoch in training.first_nonfinite(stats, "activation", "epoch", STATS).items():
        first[label] = min(epoch, first.get(label, epoch))
    return dict(sorted(first.items(), key=lambda kv: kv[1]))


def overflow_remedy(cfg: GradientFlow, epoch: int) -> str:
    """Why a deep net's signal overflowed float32 at `epoch` and what to change on the page (the rate is fixed)."""
    if cfg.init == "normal":
        when = ("and passes it at initialization" if epoch == 0 else
                f"and training pushed it past that in epoch {epoch}, where it stopped")
        # measured (tests/core/test_gradients.py): He keeps depth 30 x 256 finite and training; Xavier keeps it finite
        # but halves a ReLU net's variance per layer, so a deep one stalls at chance
        return (f"the initial weights (Normal(0, 1)) are too large for this width: the signal grows at every layer "
                f"towards float32's largest number (about 3.4e38), {when}. Pick He initialization, which sizes the "
                "weights to the layer's width (Xavier keeps the numbers finite too, but halves a ReLU-type net's "
                "signal at every layer, so a deep one barely learns)")
    return (f"training grew the weights until the signal, multiplied layer after layer, passed float32's largest "
            f"number (about 3.4e38) in epoch {epoch}, where training stopped. Fewer layers make the product shorter")


def flow_messages(cfg: GradientFlow, first: dict[str, int], trainer: dict[str, str]) -> dict[str, str]:
    """Per net, what overflowed and what to change; a net whose statistics stayed finite keeps the trainer's word,
    told that this page's learning rate is fixed (the trainer's own advice is to lower it)."""
    said = {k: training.overflow_message("gradient norms and activations", "epoch", e, overflow_remedy(cfg, e))
            for k, e in first.items()}
    fixed = (f" On this page the rate is fixed ({cfg.lr:g}, momentum {cfg.momentum:g}), so this net's depth and "
             "initialization decide whether it can train at it.")
    trainer = {k: m.split(" Try a smaller", 1)[0] + fixed if "Try a smaller" in m else m for k, m in trainer.items()}
    return {**said, **{k: m for k, m in trainer.items() if k not in said}}


def flow_facts(cfg: GradientFlow, ratio: dict[str, float], nonfinite: tuple[str, ...], ds: data.Dataset,
               n_out: int, first: dict[str, int]) -> FlowFacts:
    finite = {k: v for k, v in ratio.items() if np.isfinite(v)}
    worst = min(finite, key=finite.__getitem__) if finite else ""
    best = max(finite, key=finite.__getitem__) if finite else ""
    xg, yg = ds.x_train[:PROBE_ROWS], ds.y_train[:PROBE_ROWS]
    side = {init: first_over_last(gradient_norms(build_mlp(replace(cfg, init=init).spec("relu", ds.n_features, n_out),
                                                           generator(cfg.seed)).train(), xg, yg))
            for init in ("he", "default")}
    ratios = tuple(ratio.get(_label(a), float("nan")) for a in ACTIVATIONS)  # the ratio_* fields, in their order
    fields: tuple[object, ...] = (
        cfg.depth, INIT_LABELS[cfg.init], tuple(_label(a) for a in cfg.activations), worst,
        finite.get(worst, float("nan")), best, finite.get(best, float("nan")),
        tuple(k for k, v in finite.items() if v < VANISHED), nonfinite, *ratios,
        SIGMOID_MAX_SLOPE ** cfg.depth, side["he"], side["default"], tuple(first), tuple(first.values()))
    return FlowFacts(*fields)  # type: ignore[arg-type]


def spread_facts(stats: pd.DataFrame, depth: int, epoch: int) -> SpreadFacts:
    """Which net keeps the smallest share of its first layer's spread in its last layer, at `epoch`."""
    at = stats[stats.epoch == epoch]
    first = at[at.layer == 1].set_index("activation").spread
    last = at[at.layer == depth].set_index("activation").spread
    share = (last / first.where(first > 0)).replace([np.inf, -np.inf], np.nan).dropna()  # a blown-up net has none
    if share.empty:
        return SpreadFacts(epoch, "", float("nan"), float("nan"), float("nan"), False, False)
    net = share.idxmin()
    return SpreadFacts(epoch, net, float(first[net]), float(last[net]), float(share[net]),
                       bool(share[net] < COLLAPSED), bool(share[net] < SHRANK))


@dataclass
class _Recorder:
    """Gradient norms, activation statistics and histograms of one activation's net, per measured epoch."""

    cfg: GradientFlow
    act: str
    name: str
    probe: tuple[Tensor, Tensor, Tensor]  # gradients' inputs and targets, activations' inputs
    grads: list[pd.DataFrame]
    stats: list[pd.DataFrame]
    hists: list[pd.DataFrame]
    report: Callable[[float, training.Snapshot], None] | None = None

    def measure(self, model: nn.Module, epoch: int) -> None:
        cfg, name, (xg, yg, xa) = self.cfg, self.name, self.probe
        lo, hi = HISTOGRAM_RANGE.get(self.act, (-1.0, 3.0))
        centres = lo + (hi - lo) * (np.arange(cfg.bins) + 0.5) / cfg.bins
        half_bin = (hi - lo) / cfg.bins / 2
        norms = gradient_norms(model.train(), xg, yg)  # train mode, as the trainer's own steps
        self.grads.append(pd.DataFrame({"activation": name, "layer": np.arange(1, len(norms) + 1), "epoch": epoch,
                                        "grad_norm": norms}))
        values = layer_values(model, xa)
        a = torch.stack([v[1] for v in values])  # (depth, N, width)
        self.stats.append(pd.DataFrame({"activation": name, "layer": np.arange(1, cfg.depth + 1), "epoch": epoch,
                                        "mean": a.mean(dim=(1, 2)).numpy(), "std": a.std(dim=(1, 2)).numpy(),
                                        "spread": a.std(dim=1).mean(dim=1).numpy()}))
        share = np.stack([_histogram(layer, lo, hi, cfg.bins) for layer in a])  # (depth, bins)
        self.hists.append(pd.DataFrame({
            "activation": name, "layer": np.repeat(np.arange(1, cfg.depth + 1), cfg.bins), "epoch": epoch,
            "value": np.tile(centres, cfg.depth), "lo": np.tile(centres - half_bin, cfg.depth),
            "hi": np.tile(centres + half_bin, cfg.depth), "share": share.reshape(-1)}))

    def each_epoch(self, fraction: float, snap: training.Snapshot) -> None:
        self.measure(snap.modules()[0], snap.epoch)
        if self.report is not None:
            self.report(fraction, snap)


def gradient_flow(cfg: GradientFlow, on_progress: Progress[FlowResult] | None = None) -> FlowResult:
    ds = dataset_of(cfg.dataset, cfg.seed)
    n_out = ds.n_classes if ds.n_classes > 2 else 1
    xg, yg = ds.x_train[:PROBE_ROWS], ds.y_train[:PROBE_ROWS]  # the probe batch for gradients
    xa = ds.x_val[:PROBE_ROWS]  # and for activations
    train = training.TrainConfig(epochs=cfg.epochs, batch_size=min(cfg.batch_size, len(ds.x_train)), lr=cfg.lr,
                                 momentum=cfg.momentum, seed=cfg.seed)
    grads: list[pd.DataFrame] = []
    stats: list[pd.DataFrame] = []
    hists: list[pd.DataFrame] = []
    histories: list[pd.DataFrame] = []
    ratio, accuracy, trainer = {}, {}, {}
    nonfinite = []
    for i, act in enumerate(cfg.activations):
        spec, name = cfg.spec(act, ds.n_features, n_out), _label(act)
        recorder = _Recorder(cfg, act, name, (xg, yg, xa), grads, stats, hists)
        recorder.measure(build_mlp(spec, generator(cfg.seed)), 0)  # the trainer starts from exactly these weights
        first = grads[-1].grad_norm.to_numpy()
        ratio[name] = first_over_last(first)
        if not np.isfinite(first).all():
            nonfinite.append(name)
        done = list(histories)  # the curves of the activations trained before this one

        def so_far(snap: training.Snapshot, done: list[pd.DataFrame] = done) -> FlowResult:
            return training.partial(FlowResult, history=pd.concat([*done, snap.history], ignore_index=True),
                                    depth=cfg.depth)

        recorder.report = training.relay(on_progress, so_far, i / len(cfg.activations),
                                         (i + 1) / len(cfg.activations))
        fit = training.fit(spec, ds, train, pick_device(), recorder.each_epoch, progress_every=1, name=name)
        histories.append(fit.history)
        accuracy.update(fit.final("accuracy"))
        trainer.update(fit.messages)
    grads_df, stats_df = pd.concat(grads, ignore_index=True), pd.concat(stats, ignore_index=True)
    epochs = int(stats_df.epoch.max())
    first = overflow(grads_df, stats_df)
    return FlowResult(grads_df, stats_df, pd.concat(hists, ignore_index=True),
                      pd.concat(histories, ignore_index=True), ratio, accuracy, cfg.depth, epochs,
                      flow_facts(cfg, ratio, tuple(nonfinite), ds, n_out, first),
                      tuple(spread_facts(stats_df, cfg.depth, e) for e in range(epochs + 1)),
                      flow_messages(cfg, first, trainer))


# 3. Dying ReLU ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DyingRelu:
    """ReLU, Leaky ReLU and ELU nets trained side by side; a negative initial bias or large steps kill ReLUs.

    The default starts every hidden unit with a bias of -0.2: for most ReLU units z <= 0 on every input
    from the start, and a whole layer of them is enough to cut the input off the output. Adam (whose step
    size does not shrink with the gradient) lets Leaky ReLU's small slope of 0.01 below 0 and ELU's
    exp(z) revive their units in a few epochs; a dead ReLU gets a gradient of exactly 0, so no optimizer
    can. With plain SGD the fixes revive too slowly for a short default run (measured; see the tests).
    """

    dataset: str = "digits"
    depth: int = 4
    width: int = 32
    activations: tuple[str, ...] = ("relu", "leaky_relu", "elu")
    bias: float = -0.2  # every hidden layer's bias at initialization; below 0 many ReLUs start dead
    lr: float = 0.03  # Adam's; 0.1 and above make big steps that push units' z below 0 for every input
    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "adam"
    momentum: float = 0.0  # SGD's
    seed: int = 0
    code_version: int = 2  # 2: Adam, bias -0.2, 10 epochs by default; facts

    def __post_init__(self) -> None:
        check_shape(self.dataset, self.depth, self.width)
        for a in self.activations:
            activations.get(a)
        if not -5 <= self.bias <= 5:
            raise ValueError("The initial bias must be between -5 and 5.")
        if not 0 < self.lr <= 10:
            raise ValueError("The learning rate must be in (0, 10].")
        if not 1 <= self.epochs <= 100:
            raise ValueError("Use between 1 and 100 epochs here.")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError("Choose the optimizer 'sgd' or 'adam'.")
        if not 0 <= self.momentum < 1:
            raise ValueError("Momentum must be at least 0 and below 1.")


# dying_relu's settings (learning rate, initial bias) do not change its work: timed cold through the page
# (AppTest) at 4.1, 5.0 and 3.5 s, in core 2.2 s, on the shared 2-core CPU (issue 18: 3 s or more starts on a button).
DYING_SECONDS = 4.0


def biased_mlp(spec: MLPSpec, bias: float, g: torch.Generator) -> nn.Sequential:
    """`build_mlp(spec, g)` with every hidden layer's bias set to `bias` (the output layer keeps its own)."""
    model = build_mlp(spec, g)
    hidden = [m for m in model if isinstance(m, nn.Linear)][:-1]
    with torch.no_grad():
        for m in hidden:
            m.bias.fill_(bias)
    return model


MANY_DEAD = 0.3  # "many ReLUs died": at least this share of the units is dead at the end
FIX_MARGIN = 0.3  # "the fixes recover": Leaky ReLU and ELU both end this much more accurate than ReLU


@dataclass(frozen=True)
class DyingFacts:
    """What section 3 says (slides 52-53). A unit is dead when f'(z) = 0 on every validation row; for ReLU
    that is z <= 0 for every input. Shares are over all hidden units of the net; a net whose loss blew up
    counts at its last measured epoch. Accuracies are final validation accuracies (nan for a blown-up net)."""

    dying_lr: float
    dying_bias: float
    relu_dead_start: float  # share of ReLU units with z <= 0 for every validation input at initialization
    relu_dead_end: float
    relu_dead_layers: int  # ReLU layers with every unit dead at the end: the output no longer depends on the input
    leaky_dead_end: float
    elu_dead_end: float
    acc_relu: float
    acc_leaky: float
    acc_elu: float
    dying_diverged: tuple[str, ...]  # labels of the nets whose loss blew up
    many_died: bool  # relu_dead_end >= MANY_DEAD
    fixes_recover: bool  # Leaky ReLU and ELU both beat ReLU's accuracy by more than FIX_MARGIN


@dataclass
class DyingResult:
    dead: pd.DataFrame  # activation, layer, epoch (0 = at initialization), dead (share of the layer's units)
    history: pd.DataFrame  # variant (activation label), epoch, split, metric, value
    table: pd.DataFrame  # activation, dead units at initialization, dead units at the end, validation accuracy
    messages: dict[str, str]  # activation label -> what went wrong (divergence), from the trainer
    facts: DyingFacts


def dying_facts(cfg: DyingRelu, dead: pd.DataFrame, table: pd.DataFrame, diverged: tuple[str, ...]) -> DyingFacts:
    t = table.set_index("activation")

    def get(label: str, column: str) -> float:
        return float(t.loc[label, column]) if label in t.index else float("nan")

    relu = dead[dead.activation == "ReLU"]
    last = relu[relu.epoch == relu.epoch.max()] if len(relu) else relu
    acc = {label: get(label, "validation accuracy") for label in ("ReLU", "Leaky ReLU", "ELU")}
    relu_dead_end = get("ReLU", "dead units at the end")
    return DyingFacts(cfg.lr, cfg.bias, get("ReLU", "dead units at initialization"), relu_dead_end,
                      int((last.dead == 1).sum()), get("Leaky ReLU", "dead units at the end"),
                      get("ELU", "dead units at the end"), acc["ReLU"], acc["Leaky ReLU"], acc["ELU"], diverged,
                      bool(relu_dead_end >= MANY_DEAD),
                      bool(acc["Leaky ReLU"] > acc["ReLU"] + FIX_MARGIN and acc["ELU"] > acc["ReLU"] + FIX_MARGIN))


def dying_relu(cfg: DyingRelu, on_progress: Progress[DyingResult] | None = None) -> DyingResult:
    ds = dataset_of(cfg.dataset, cfg.seed)
    n_out = ds.n_classes if ds.n_classes > 2 else 1
    names = [_label(a) for a in cfg.activations]
    factories = {name: functools.partial(biased_mlp, MLPSpec(ds.n_features, (cfg.width,) * cfg.depth, n_out, act),
                                         cfg.bias) for name, act in zip(names, cfg.activations)}
    train = training.TrainConfig(epochs=cfg.epochs, batch_size=min(cfg.batch_size, len(ds.x_train)), lr=cfg.lr,
                                 optimizer=cfg.optimizer, momentum=cfg.momentum, seed=cfg.seed)
    rows: list[tuple[str, int, int, float]] = []

    def measure(models: list[nn.Module], epoch: int) -> None:
        for name, act, model in zip(names, cfg.activations, models):
            for layer, (z, _) in enumerate(layer_values(model, ds.x_val), start=1):  # the whole validation set
                rows.append((name, layer, epoch, dead_fraction(z, act)))

    measure([f(generator(cfg.seed)) for f in factories.values()], 0)

    report = training.relay(on_progress, lambda snap: training.partial(DyingResult, history=snap.history))

    def each_epoch(fraction: float, snap: training.Snapshot) -> None:
        measure(snap.modules(), snap.epoch)
        if report is not None:
            report(fraction, snap)

    fit = training.fit_many([training.Variant(n, f, train) for n, f in factories.items()], ds, pick_device(),
                            each_epoch, progress_every=1)
    dead = pd.DataFrame(rows, columns=["activation", "layer", "epoch", "dead"])
    # A variant that diverged stops reporting: its last measured epoch stands for the end.
    overall = dead.groupby(["activation", "epoch"], sort=False).dead.mean().reset_index()
    start = overall[overall.epoch == 0].set_index("activation").dead
    end = overall.groupby("activation", sort=False).last().dead
    acc = fit.final("accuracy")
    diverged = tuple(n for n in names if n in fit.diverged)
    table = pd.DataFrame({"activation": names, "dead units at initialization": [start[n] for n in names],
                          "dead units at the end": [end[n] for n in names],
                          "validation accuracy": [np.nan if n in diverged else acc.get(n, np.nan) for n in names]})
    return DyingResult(dead, fit.history, table, fit.messages, dying_facts(cfg, dead, table, diverged))


def sci_latex(x: float, digits: int = 1) -> str:
    """x in LaTeX scientific notation: 9.1e-13 -> '9.1 \\times 10^{-13}'."""
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def sigmoid_slope(z_max: float = 6.0, n: int = 121) -> pd.DataFrame:
    """sigma(z) and sigma'(z) = sigma(z)(1 - sigma(z)) on a grid: columns z, curve, value. sigma' peaks at 0.25."""
    z = torch.linspace(-z_max, z_max, n)
    sig = activations.get("sigmoid")
    return pd.concat([pd.DataFrame({"z": z.numpy(), "curve": "σ(z)", "value": sig.f(z).numpy()}),
                      pd.DataFrame({"z": z.numpy(), "curve": "σ'(z), at most 0.25", "value": sig.grad(z).numpy()})],
                     ignore_index=True)
