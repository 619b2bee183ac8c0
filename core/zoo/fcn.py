"""The fully convolutional network of the zoo (slide 68): a class for every pixel of a scene.

- `SceneFCN`: an encoder (convolutions and 2 x 2 max-pooling: 32 -> 16 -> 8 pixels a side) and a
  decoder that upsamples back to 32 (transposed convolutions, or bilinear interpolation followed by
  a convolution), then a 1 x 1 convolution that gives 4 class scores per pixel. No fully connected
  layer anywhere, so the output keeps the image's layout: (N, H, W, classes), classes last, which
  is how `core.training` reads a dense output (cross-entropy and accuracy per pixel).
- `Recipe` / `train(recipe)`: through the one trainer; `shipped(asset)` reads the shipped network of
  either decoder back (`ASSETS[upsampling]`), no training. Either is a `Trained`, whose `network()`
  builds the FCN from its weights; a page gets one through `core.zoo.source.resolve(Source("fcn",
  recipe))` or `Source("fcn", asset=...)` (ui/zoo.py caches it). The experiments on a trained FCN
  (IoU, one scene, per-pixel probabilities) are in `core/zoo/fcn_lab.py`.
- `SHIPPED`: the makers of `assets/zoo/fcn_scenes.pt` (transposed convolutions) and
  `assets/zoo/fcn_scenes_bilinear.pt` (`python -m core.zoo --only fcn_scenes --only fcn_scenes_bilinear`).
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core.data import Dataset
from core.progress import Progress
from core.training import FitResult, Snapshot, TrainConfig, fit
from core.zoo import scenes, weights
from core.zoo.recipe import adam, check_training, fixed_lr_remedy

UPSAMPLING = ("transposed convolution", "bilinear interpolation")
MAX_EPOCHS = 20  # the shipped budget, the most a student may ask for
TRAIN_SIZES = (300, 600, 1000)  # training scenes a student may pick
N_VAL = 200  # held-out scenes (their own seed): the IoU is measured on these
ASSETS = {UPSAMPLING[0]: "fcn_scenes", UPSAMPLING[1]: "fcn_scenes_bilinear"}  # the shipped FCN of each decoder
PREDICT_CHUNK = 25  # scenes per forward pass when scoring: all held-out scenes at once hold all their activations


@dataclass(frozen=True)
class Recipe:
    """An FCN and how to train it on synthetic scenes."""

    upsampling: str = UPSAMPLING[0]
    width: int = 16  # channels of the first block; the second has twice as many
    n_train: int = 1000
    epochs: int = 20
    lr: float = 0.01  # Adam
    batch_size: int = 16
    seed: int = 0
    code_version: int = 3  # bump when results change (cache key). 2: the trainer's messages; 3: the epochs kept

    def __post_init__(self) -> None:
        if self.upsampling not in UPSAMPLING:
            raise ValueError(f"Upsampling is one of: {', '.join(UPSAMPLING)}.")
        if self.width not in (8, 16, 24):
            raise ValueError("The first block has 8, 16 or 24 channels.")
        if not 50 <= self.n_train <= max(TRAIN_SIZES):
            raise ValueError(f"Train on between 50 and {max(TRAIN_SIZES):,} scenes.")
        check_training(self.epochs, MAX_EPOCHS, self.lr, self.batch_size, self.seed, "scenes")

    def train_config(self) -> TrainConfig:
        return adam(self.epochs, self.batch_size, self.lr, self.seed)


SHIPPED_RECIPE = Recipe()


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    """3 x 3 convolution (padding 1 keeps the size), batch normalization, ReLU."""
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]


class SceneFCN(nn.Module):
    """(N, 1, 32, 32) scenes -> (N, 32, 32, 4) class scores per pixel; shapes for width 16:

    encoder: (16, 32, 32) -> pool (16, 16, 16) -> (32, 16, 16) -> pool (32, 8, 8) -> (32, 8, 8)
    (each convolution is followed by batch normalization and a ReLU)
    decoder: up (16, 16, 16) -> up (16, 32, 32) -> 1 x 1 conv (4, 32, 32) -> classes last (32, 32, 4)
    """

    def __init__(self, recipe: Recipe = SHIPPED_RECIPE, generator: torch.Generator | None = None):
        super().__init__()
        w = recipe.width
        self.encoder = nn.Sequential(*_conv(1, w), nn.MaxPool2d(2), *_conv(w, 2 * w), nn.MaxPool2d(2),
                                     *_conv(2 * w, 2 * w))
        if recipe.upsampling == UPSAMPLING[0]:  # learned 2x upsampling: each input pixel paints a 2 x 2 patch
            ups = [nn.ConvTranspose2d(2 * w, w, 2, stride=2), nn.ReLU(),
                   nn.ConvTranspose2d(w, w, 2, stride=2), nn.ReLU()]
        else:  # fixed 2x interpolation, then a convolution learns what to do with it
            ups = [nn.Upsample(scale_factor=2, mode="bilinear"), *_conv(2 * w, w),
                   nn.Upsample(scale_factor=2, mode="bilinear"), *_conv(w, w)]
        self.decoder = nn.Sequential(*ups)
        self.classify = nn.Conv2d(w, len(scenes.CLASSES), 1)  # a 1 x 1 convolution: a linear layer per pixel
        if generator is not None:  # seeded init, the same for the same seed
            with torch.no_grad():
                for m in self.modules():
                    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                        bound = 1 / np.sqrt(m.weight[0].numel())
                        m.weight.uniform_(-bound * np.sqrt(6), bound * np.sqrt(6), generator=generator)
                        if m.bias is not None:
                            m.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        return self.classify(self.decoder(self.encoder(x))).permute(0, 2, 3, 1)  # (N, H, W, C)


def build(recipe: Recipe, generator: torch.Generator | None = None) -> SceneFCN:
    return SceneFCN(recipe, generator)



@functools.lru_cache(maxsize=1)
def held_out() -> tuple[Tensor, Tensor]:
    """The held-out scenes (seed 2, always the same N_VAL): images (N_VAL, 1, H, W), masks (N_VAL, H, W).

    All that the views need: scoring the shipped network must not build (and keep) 1,000 training scenes too.
    """
    val = scenes.make(N_VAL, seed=2)
    return torch.as_tensor(val.images), torch.as_tensor(val.masks)


@functools.lru_cache(maxsize=len(TRAIN_SIZES) + 1)
def dataset(n_train: int = SHIPPED_RECIPE.n_train) -> Dataset:
    """Training scenes (seed 1) and the held-out scenes (`held_out`, shared, not copied)."""
    train = scenes.make(n_train, seed=1)
    t = torch.as_tensor
    return Dataset("scenes", t(train.images), t(train.masks), *held_out(), len(scenes.CLASSES), ("pixel",),
                   scenes.CLASSES)


def fit_fcn(recipe: Recipe, on_progress: Progress[Snapshot] | None = None) -> FitResult:
    # The page sets scenes, epochs, decoder and seed, not the learning rate: a loss that blows up names those.
    remedy = fixed_lr_remedy(recipe.lr, "another seed starts from other weights and another batch order")
    return fit(lambda g: build(recipe, g), dataset(recipe.n_train), recipe.train_config(), device=torch.device("cpu"),
               on_progress=on_progress, progress_every=1, name="FCN", remedy=remedy)


@dataclass
class Trained:
    """A trained FCN and how it got there; while it trains, the curves so far (and no weights yet)."""

    recipe: Recipe
    history: pd.DataFrame  # variant, epoch, split, metric (loss / accuracy = share of right pixels), value
    seconds: float  # a student's run: wall-clock; shipped: CPU seconds of its making (= alone on a free core)
    shipped: bool
    state: dict[str, np.ndarray] = field(default_factory=dict)  # the network's weights (empty while training)
    asset: str | None = None  # the shipped file it was read from (None: a student's run)
    messages: dict[str, str] = field(default_factory=dict)  # "FCN" -> what the trainer said (a blown-up loss);
    # none for the shipped weights or while training
    kept_epoch: dict[str, int] = field(default_factory=dict)  # "FCN" -> the epoch whose weights it kept
    # (`FitResult.best_epoch`: the last, or the one before its loss blew up); empty for shipped or while training

    def network(self) -> SceneFCN:
        """The FCN built from these weights, in eval mode (a new module: the weights stay shared)."""
        if not self.state:
            raise ValueError("The network is still training: there are no weights to look at yet.")
        return weights.into(build(self.recipe), self.state)


def _meta(recipe: Recipe, result, model: nn.Module) -> dict:
    model = weights.into(model, result.states["FCN"])
    return {"task": f"segment {scenes.SIZE} x {scenes.SIZE} synthetic scenes: {', '.join(scenes.CLASSES)}",
            "recipe": dict(vars(recipe)), "parameters": weights.count(model),
            "val_mean_iou": round(float(np.nanmean(_val_iou(model)[1:])), 4),
            "val_pixel_accuracy": round(result.final("accuracy")["FCN"], 4),
            "history": result.history.to_dict(orient="list"), "train_seconds": round(result.seconds, 1)}


def make(quick: bool, upsampling: str = UPSAMPLING[0]) -> tuple[nn.Module, dict]:
    """The shipped FCN with this decoder (SHIPPED_RECIPE); quick: 1 epoch on 64 scenes, for the tests."""
    recipe = replace(SHIPPED_RECIPE, upsampling=upsampling)
    recipe = replace(recipe, epochs=1, n_train=64) if quick else recipe
    cpu = time.process_time()  # torch runs on one thread: CPU seconds = the time alone on a free core
    result = fit_fcn(recipe)
    cpu = time.process_time() - cpu
    model = SceneFCN(recipe)
    return model, {**_meta(recipe, result, model), "train_cpu_seconds": round(cpu, 1)}


SHIPPED = {asset: functools.partial(make, upsampling=up) for up, asset in ASSETS.items()}


def shipped_meta(upsampling: str = UPSAMPLING[0]) -> dict:
    """The header of a shipped FCN's file: its recipe, measured scores and training time (read once)."""
    return weights.load(ASSETS[upsampling])[1]


def expected_seconds(recipe: Recipe) -> float:
    """Training time on a free CPU core, scaled from the shipped run's by the work: epochs x scenes seen per epoch.

    Each epoch trains on n_train scenes and scores the N_VAL held-out ones; counting a held-out scene as much
    as a training one (it is cheaper) also covers the start-up that dominates tiny runs.
    """
    meta = shipped_meta(recipe.upsampling)
    done = meta["recipe"]["epochs"] * (meta["recipe"]["n_train"] + N_VAL)
    return meta.get("train_cpu_seconds", meta["train_seconds"]) * recipe.epochs * (recipe.n_train + N_VAL) / done


def train(recipe: Recipe, on_progress: Progress[Trained] | None = None) -> Trained:
    """Train a student's FCN; `on_progress(fraction, Trained so far)` reports its curves as they grow."""
    start = time.perf_counter()
    report = None if on_progress is None else (
        lambda f, snap: on_progress(f, Trained(recipe, snap.history, time.perf_counter() - start, shipped=False)))
    result = fit_fcn(recipe, report)
    return Trained(recipe, result.history, result.seconds, shipped=False, state=result.states["FCN"],
                   messages=result.messages, kept_epoch=result.best_epoch)


def shipped(asset: str = ASSETS[UPSAMPLING[0]]) -> Trained:
    """The shipped FCN in `assets/zoo/<asset>.pt` (one per decoder, `ASSETS`) as a `Trained`, without training."""
    if asset not in ASSETS.values():
        raise ValueError(f"No shipped FCN named {asset!r}: the shipped ones are {', '.join(ASSETS.values())}.")
    state, meta = weights.load(asset)
    seconds = meta.get("train_cpu_seconds", meta["train_seconds"])
    return Trained(Recipe(**meta["recipe"]), pd.DataFrame(meta["history"]), seconds, shipped=True,
                   state={k: t.numpy() for k, t in state.items()}, asset=asset)


@torch.no_grad()
def predict(model: nn.Module, x: Tensor) -> np.ndarray:
    """(N, H, W, C) class probabilities, PREDICT_CHUNK scenes at a time (eval mode: each scene on its own)."""
    model.eval()
    return torch.cat([torch.softmax(model(part), dim=-1) for part in x.split(PREDICT_CHUNK)]).numpy()


def _val_iou(model: nn.Module) -> np.ndarray:
    x_val, y_val = held_out()
    return scenes.iou(predict(model, x_val).argmax(-1), y_val.numpy())
