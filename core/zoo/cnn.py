"""The CNN of the zoo (slide 66): convolution -> pooling -> fully connected -> softmax, on the 8x8 digits.

- `Recipe`: the architecture (filters per conv layer, hidden units) and how it trains.
- `DigitCNN`: the network; `with_softmax(cnn)` appends the softmax that the cross-entropy loss keeps
  implicit, so the architecture diagram and the bar chart show probabilities.
- `matched_mlp(recipe)`: a plain MLP with (about) the same number of weights, the fair comparison.
- `train(recipe)`: both networks through the one trainer (`core.training.fit`), same data, same
  optimizer, same epochs; `shipped()`: the shipped pair read back from assets/zoo/, no training.
  Either is a `Trained`, whose `networks()` builds the two networks from its weights; a page gets
  one through `core.zoo.source.resolve(Source("cnn", recipe))` (ui/zoo.py caches it).
- `SHIPPED`: the makers of `assets/zoo/cnn_digits.pt` and `assets/zoo/cnn_mlp_digits.pt`
  (`python -m core.zoo --only cnn_digits --only cnn_mlp_digits`).
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core import data
from core.models import MLPSpec, build_mlp
from core.progress import Progress
from core.training import FitResult, Snapshot, TrainConfig, fit
from core.zoo import weights
from core.zoo.recipe import adam, check_training, untrained

SIDE = 8  # the digits are 8 x 8 grey images (pixels scaled to 0..1 by data.scaled_digits)
CLASSES = 10
MAX_EPOCHS = 40  # "Train it yourself": enough to see both curves level off, short enough to wait for
NAMES = ("CNN", "MLP")  # the variants of the comparison, in the legend's order
ASSETS = {"CNN": "cnn_digits", "MLP": "cnn_mlp_digits"}


@dataclass(frozen=True)
class Recipe:
    """A CNN and how to train it; the MLP it is compared with trains with the same settings."""

    filters: tuple[int, int] = (8, 16)  # conv1, conv2 (3 x 3 kernels, padding 1)
    hidden: int = 32  # units of the fully connected hidden layer
    epochs: int = 20
    lr: float = 0.003  # Adam
    batch_size: int = 32
    seed: int = 0
    code_version: int = 3  # bump when results change (cache key). 2: the trainer's messages; 3: the epochs kept

    def __post_init__(self) -> None:
        if len(self.filters) != 2 or not all(1 <= f <= 64 for f in self.filters):
            raise ValueError("Give two filter counts (conv1, conv2), each between 1 and 64.")
        if not 4 <= self.hidden <= 256:
            raise ValueError("The hidden layer needs between 4 and 256 units.")
        check_training(self.epochs, MAX_EPOCHS, self.lr, self.batch_size, self.seed, "images")

    def train_config(self) -> TrainConfig:
        return adam(self.epochs, self.batch_size, self.lr, self.seed)


SHIPPED_RECIPE = Recipe()  # the shipped weights; "Train it yourself" starts from the same recipe


class DigitCNN(nn.Module):
    """conv 3x3 -> ReLU -> max-pool 2 -> conv 3x3 -> ReLU -> max-pool 2 -> flatten -> FC -> ReLU -> FC.

    Shapes for one 8 x 8 digit with the default (8, 16) filters:
    (1, 8, 8) -> (8, 8, 8) -> (8, 4, 4) -> (16, 4, 4) -> (16, 2, 2) -> (64,) -> (32,) -> (10,) logits.
    The softmax is left to the loss (cross-entropy takes logits); `with_softmax` adds it for display.
    """

    def __init__(self, filters: tuple[int, int] = (8, 16), hidden: int = 32, generator: torch.Generator | None = None):
        super().__init__()
        c1, c2 = filters
        self.features = nn.Sequential(  # feature extraction: local patterns, then smaller maps
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (c1, 8, 8) -> (c1, 4, 4)
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (c2, 4, 4) -> (c2, 2, 2)
        )
        flat = c2 * (SIDE // 4) ** 2
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, CLASSES))
        if generator is not None:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):  # PyTorch's default init, drawn from `generator`
                    nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                    bound = 1 / math.sqrt(m.weight[0].numel())
                    if m.bias is not None:
                        nn.init.uniform_(m.bias, -bound, bound, generator=generator)

    def forward(self, x: Tensor) -> Tensor:  # (N, 1, 8, 8) -> (N, 10) logits
        return self.classifier(self.features(x))


# CPU seconds measured on the app's 2-core machine with one torch thread (time.process_time()
# around train(Recipe(...)) with a progress callback, 2026-12-03): what a run alone on a free core takes.
# Per epoch of the CNN and its MLP: 0.156 s with filters (4, 8), 0.224 s with (16, 32), linear in the
# convolutions' weights (1.54e-5 s per weight).
EPOCH_SECONDS = (0.151, 1.54e-5)


def expected_seconds(recipe: Recipe) -> float:
    """Training time of `recipe` (the CNN, then its MLP) on a free CPU core, scaled from measured runs."""
    conv_weights = 9 * (recipe.filters[0] + recipe.filters[0] * recipe.filters[1])
    base, per_weight = EPOCH_SECONDS
    return recipe.epochs * (base + per_weight * conv_weights)


def build(recipe: Recipe, generator: torch.Generator | None = None) -> DigitCNN:
    return DigitCNN(recipe.filters, recipe.hidden, generator)


def with_softmax(cnn: nn.Module) -> nn.Sequential:
    """The network as the slide draws it, ending in a softmax: logits -> probabilities that sum to 1."""
    return nn.Sequential(cnn, nn.Softmax(dim=1))



def matched_mlp(recipe: Recipe) -> MLPSpec:
    """64 inputs -> h ReLU units -> 10, with h chosen so the MLP has about the CNN's number of weights."""
    budget = weights.count(build(recipe))
    hidden = max(1, round((budget - CLASSES) / (SIDE * SIDE + 1 + CLASSES)))  # (64 + 1) h + (h + 1) 10 = budget
    return MLPSpec(SIDE * SIDE, (hidden,), CLASSES, "relu")


@functools.lru_cache(maxsize=2)
def digits(flat: bool = False) -> data.Dataset:
    """The digits split of every page, pixels in [0, 1] (`data.scaled_digits`): images (N, 1, 8, 8) or rows (N, 64)."""
    ds = data.scaled_digits()
    shape = (-1, SIDE * SIDE) if flat else (-1, 1, SIDE, SIDE)
    return replace(ds, x_train=ds.x_train.reshape(shape), x_val=ds.x_val.reshape(shape))


CPU = torch.device("cpu")  # the shipped files are made on the machine students have


def fit_cnn(recipe: Recipe, on_progress: Progress[Snapshot] | None = None,
            device: torch.device | None = None) -> FitResult:
    """The CNN trained on the digit images through the one trainer (autograd + torch.optim.Adam)."""
    return fit(lambda g: build(recipe, g), digits(), recipe.train_config(), device=device,
               on_progress=on_progress, progress_every=1, name="CNN")


def fit_mlp(recipe: Recipe, on_progress: Progress[Snapshot] | None = None,
            device: torch.device | None = None) -> FitResult:
    """The matched MLP on the same digits as 64-pixel rows, same trainer and settings (hand-written engine)."""
    return fit(matched_mlp(recipe), digits(flat=True), recipe.train_config(), device=device,
               on_progress=on_progress, progress_every=1, name="MLP")


def _meta(recipe: Recipe, result: FitResult, variant: str, params: int) -> dict:
    return {
        "task": "8x8 digits, 10 classes" + ("" if variant == "CNN" else " (the CNN's comparison, same weights budget)"),
        "model": variant, "filters": list(recipe.filters), "hidden": recipe.hidden,
        "mlp_widths": list(matched_mlp(recipe).widths), "epochs": recipe.epochs, "lr": recipe.lr,
        "batch_size": recipe.batch_size, "optimizer": "adam", "seed": recipe.seed, "parameters": params,
        "val_accuracy": round(result.final("accuracy")[variant], 5),
        "val_loss": round(result.final("loss")[variant], 5),
        "history": weights.curves(result.history, variant, ("loss", "accuracy"), 5),
    }


def make_cnn(quick: bool) -> tuple[nn.Module, dict]:
    """The shipped CNN (quick: 1 epoch, for the tests)."""
    recipe = replace(SHIPPED_RECIPE, epochs=1) if quick else SHIPPED_RECIPE
    result = fit_cnn(recipe, device=CPU)
    cnn = weights.into(build(recipe), result.states["CNN"])
    return cnn, _meta(recipe, result, "CNN", weights.count(cnn))


def make_mlp(quick: bool) -> tuple[nn.Module, dict]:
    """The shipped MLP with the CNN's number of weights (quick: 1 epoch, for the tests)."""
    recipe = replace(SHIPPED_RECIPE, epochs=1) if quick else SHIPPED_RECIPE
    result = fit_mlp(recipe, device=CPU)
    mlp = weights.into(build_mlp(matched_mlp(recipe)), result.states["MLP"])
    return mlp, _meta(recipe, result, "MLP", weights.count(mlp))


SHIPPED = {ASSETS["CNN"]: make_cnn, ASSETS["MLP"]: make_mlp}


@dataclass(frozen=True)
class ComparisonFacts:
    """What the page says of the CNN against the MLP with its number of weights (section 5)."""

    cnn_weights_budget: int
    mlp_weights_budget: int
    mlp_layers: str  # e.g. "64 → FC 49 → 10"
    cnn_final_val_accuracy: float  # at the epoch whose weights it kept
    mlp_final_val_accuracy: float
    cnn_lead_points: float  # CNN minus MLP, in percentage points
    target_accuracy: float  # TARGET
    epochs_trained: int  # the most epochs either kept (a loss that blew up keeps the epoch before)
    cnn_first_epoch: int | None  # the first epoch at TARGET validation accuracy or more (None: not within the run)
    mlp_first_epoch: int | None
    same_first_epoch: bool  # both reached it, in the same epoch
    cnn_epochs_kept: int  # the epoch whose weights each kept: the last, or the one before its loss blew up
    mlp_epochs_kept: int
    untrained: tuple[str, ...]  # the networks that kept epoch 0 (a loss that blew up in the first epoch)


def first_pass_phrase(facts: ComparisonFacts) -> str:
    """When each model first passes the target, in words that handle a tie and a model that never does.

    "both first pass 95% at epoch 8"; "the CNN first passes 95% at epoch 5, the MLP at epoch 8";
    "the CNN first passes 95% at epoch 5, the MLP not within 20 epochs"; "neither passes 95% within 20 epochs"
    (or "within 1 epoch"); a network whose loss blew up counts the epochs it kept.
    """
    target = f"{facts.target_accuracy:.0%}"
    cnn, mlp = facts.cnn_first_epoch, facts.mlp_first_epoch
    if cnn is None and mlp is None:
        return f"neither passes {target} within {_epochs(facts.epochs_trained)}"
    if facts.same_first_epoch:
        return f"both first pass {target} at epoch {cnn}"
    first, second = (("CNN", cnn), ("MLP", mlp)) if mlp is None or (cnn is not None and cnn <= mlp) else \
        (("MLP", mlp), ("CNN", cnn))
    kept = {"CNN": facts.cnn_epochs_kept, "MLP": facts.mlp_epochs_kept}[second[0]]
    then = f"not within {_epochs(kept)}" if second[1] is None else f"at epoch {second[1]}"
    return f"the {first[0]} first passes {target} at epoch {first[1]}, the {second[0]} {then}"


def _epochs(n: int) -> str:
    return f"{n} epoch{'' if n == 1 else 's'}"


def comparison_facts(board: pd.DataFrame, reached: dict[str, int | None], kept: dict[str, int]) -> ComparisonFacts:
    """The facts of section 5 from the board (`_board`), the first epochs at TARGET (`_reached`) and the epoch
    whose weights each network kept."""
    row = board.set_index("model")
    cnn_acc, mlp_acc = float(row.loc["CNN", "validation accuracy"]), float(row.loc["MLP", "validation accuracy"])
    return ComparisonFacts(
        cnn_weights_budget=int(row.loc["CNN", "parameters"]), mlp_weights_budget=int(row.loc["MLP", "parameters"]),
        mlp_layers=str(row.loc["MLP", "layers"]), cnn_final_val_accuracy=cnn_acc, mlp_final_val_accuracy=mlp_acc,
        cnn_lead_points=100 * (cnn_acc - mlp_acc), target_accuracy=TARGET, epochs_trained=max(kept.values()),
        cnn_first_epoch=reached["CNN"], mlp_first_epoch=reached["MLP"],
        same_first_epoch=reached["CNN"] is not None and reached["CNN"] == reached["MLP"],
        cnn_epochs_kept=kept["CNN"], mlp_epochs_kept=kept["MLP"], untrained=untrained(kept),
    )


TARGET = 0.95  # the board says in which epoch each model first reached this validation accuracy


def _reached(history: pd.DataFrame, kept: dict[str, int]) -> dict[str, int | None]:
    """The first epoch at TARGET validation accuracy per network, among the epochs up to the one it kept."""
    val = history[(history.split == "validation") & (history.metric == "accuracy") & (history.value >= TARGET)
                  & (history.epoch <= history.variant.map(kept))]
    first = val.groupby("variant")["epoch"].min()
    return {v: int(first[v]) if v in first.index else None for v in NAMES}


def _board(history: pd.DataFrame, params: dict[str, int], recipe: Recipe, kept: dict[str, int]) -> pd.DataFrame:
    """One row per model: its layers, weights, accuracies and loss at the epoch whose weights it kept (`kept`),
    and the first epoch at TARGET accuracy."""
    last = history[history.epoch == history.variant.map(kept)].set_index(["variant", "split", "metric"])["value"]
    reached = _reached(history, kept)
    c1, c2 = recipe.filters
    layers = {"CNN": f"conv {c1} → pool → conv {c2} → pool → FC {recipe.hidden} → 10",
              "MLP": f"64 → FC {matched_mlp(recipe).widths[0]} → 10"}
    return pd.DataFrame([{
        "model": v, "layers": layers[v], "parameters": params[v],
        "train accuracy": last[v, "train", "accuracy"], "validation accuracy": last[v, "validation", "accuracy"],
        "validation loss": last[v, "validation", "loss"],
        f"{TARGET:.0%} val accuracy at epoch": reached[v],  # the first such epoch; short enough to fit the page
    } for v in NAMES])


@dataclass
class Trained:
    """The CNN and the MLP it is compared with, trained; while they train, the curves so far.

    A partial `Trained` (handed to `on_progress`) has its `history` so far and no weights, board or facts yet.
    """

    recipe: Recipe  # how they were trained (for the shipped files: read back from their meta)
    history: pd.DataFrame  # variant ("CNN" / "MLP"), epoch, split, metric, value
    states: dict[str, dict[str, np.ndarray]]  # "CNN" / "MLP" -> weights (empty while training)
    shipped: bool
    seconds: float  # training time (for shipped weights: what making the files took)
    board: pd.DataFrame | None = None  # one row per model: model, layers, parameters, validation accuracy, ...
    reached: dict[str, int | None] | None = None  # the first epoch at TARGET validation accuracy per model
    facts: ComparisonFacts | None = None  # what section 5 says: computed from the board and `reached`
    messages: dict[str, str] = field(default_factory=dict)  # "CNN" / "MLP" -> what the trainer said (a blown-up
    # loss); none for the shipped weights or while training
    kept_epoch: dict[str, int] = field(default_factory=dict)  # "CNN" / "MLP" -> the epoch whose weights it kept
    # (`FitResult.best_epoch`: the last, or the one before its loss blew up); empty while training

    def networks(self) -> tuple[DigitCNN, nn.Sequential]:
        """The CNN and the MLP built from these weights, in eval mode (new modules: the weights stay shared)."""
        if not self.states:
            raise ValueError("The networks are still training: there are no weights to look at yet.")
        return (weights.into(build(self.recipe), self.states["CNN"]),
                weights.into(build_mlp(matched_mlp(self.recipe)), self.states["MLP"]))


def _finished(recipe: Recipe, history: pd.DataFrame, params: dict[str, int], states: dict[str, dict[str, np.ndarray]],
              shipped: bool, seconds: float, fits: tuple[FitResult, ...] = ()) -> Trained:
    """A `Trained` with its board and the facts of section 5, from the whole history.

    `fits` (a run trained here): the trainer's results, whose messages it carries and whose kept epochs the
    board reads (a network whose loss blew up keeps the weights of the epoch before, and has no row after it).
    """
    kept = dict.fromkeys(NAMES, int(history.epoch.max())) | {v: e for fit in fits for v, e in fit.best_epoch.items()}
    reached = _reached(history, kept)
    board = _board(history, params, recipe, kept)
    facts = comparison_facts(board, reached, kept)
    return Trained(recipe, history, states, shipped, seconds, board, reached, facts,
                   {v: m for fit in fits for v, m in fit.messages.items()}, kept)


def train(recipe: Recipe, on_progress: Progress[Trained] | None = None) -> Trained:
    """Train the CNN, then the matched MLP; `on_progress(fraction, Trained so far)` reports the curves as they grow.

    The CNN takes most of the time (autograd through convolutions); the MLP's hand-written engine
    needs a fraction of it, so the progress bar gives the CNN its first 85 %.
    """
    share, start = 0.85, time.perf_counter()

    def so_far(history: pd.DataFrame) -> Trained:
        return Trained(recipe, history, {}, False, time.perf_counter() - start)

    cnn = fit_cnn(recipe, None if on_progress is None else lambda f, s: on_progress(share * f, so_far(s.history)))
    mlp = fit_mlp(recipe, None if on_progress is None else lambda f, s: on_progress(
        share + (1 - share) * f, so_far(pd.concat([cnn.history, s.history], ignore_index=True))))
    history = pd.concat([cnn.history, mlp.history], ignore_index=True)
    params = {"CNN": weights.count(build(recipe)), "MLP": matched_mlp(recipe).n_params}
    states = {"CNN": cnn.states["CNN"], "MLP": mlp.states["MLP"]}
    return _finished(recipe, history, params, states, False, cnn.seconds + mlp.seconds, (cnn, mlp))


def _recipe(meta: dict) -> Recipe:
    """The recipe a shipped file's meta records."""
    return Recipe(filters=tuple(meta["filters"]), hidden=meta["hidden"], epochs=meta["epochs"], lr=meta["lr"],
                  batch_size=meta["batch_size"], seed=meta["seed"])


def shipped() -> Trained:
    """The two shipped files as a `Trained`: weights, and the curves recorded in their meta while they were made."""
    loaded = {v: weights.load(ASSETS[v]) for v in NAMES}
    recipe = _recipe(loaded["CNN"][1])
    history = weights.history({v: loaded[v][1]["history"] for v in NAMES})
    params = {v: int(loaded[v][1]["parameters"]) for v in NAMES}
    states = {v: {k: t.numpy() for k, t in loaded[v][0].items()} for v in NAMES}
    seconds = sum(float(loaded[v][1].get("seconds_to_make") or 0) for v in NAMES)
    return _finished(recipe, history, params, states, True, seconds)
