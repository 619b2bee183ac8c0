"""The autoencoders of the zoo (slide 67): encoder -> latent -> decoder on the 8x8 digits; plain, denoising and
variational.

- `AutoEncoder`: 64 pixels -> a few numbers (the latent code) -> 64 pixels again. With `noise` it is a
  denoising autoencoder: a `Noise` layer (active only while training, like dropout) spoils every input
  with fresh Gaussian noise each step, while the target stays the clean digit.
- `VariationalAutoEncoder`: the encoder gives a mean and a variance per latent number, `Reparameterize`
  draws the code from them, and the KL term (handed to the trainer as `aux_loss`) pulls every digit's
  distribution towards the standard normal N(0, 1): a latent space without holes, which can be sampled.
- `Recipe`: how all four models of the page train (the same epochs, learning rate and batches);
  `train(recipe)` trains them side by side through the one trainer (`core.training.fit_many`, MSE
  loss: the target is the input itself); `shipped()` reads the four shipped files back, no training.
  Either is a `Trained`, whose `networks()` builds the four models from its weights; a page gets one
  through `core.zoo.source.resolve(Source("autoencoders", recipe))` (ui/zoo.py caches it).
- `SHIPPED`: the makers of `assets/zoo/ae_digits.pt`, `ae_digits_wide.pt`, `ae_denoising.pt` and
  `vae_digits.pt` (`python -m core.zoo --only ae_digits ...`).
"""
from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import cast

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core.data import Dataset
from core.progress import Progress
from core.training import FitResult, Snapshot, TrainConfig, Variant, fit_many
from core.zoo import cnn, weights
from core.zoo.recipe import adam, check_training

SIDE, PIXELS = cnn.SIDE, cnn.SIDE * cnn.SIDE  # 8 x 8 grey digits, pixels scaled to 0..1
HIDDEN = (64, 32)  # the encoder's hidden layers; the decoder mirrors them
NARROW = 2  # the plain AE and the VAE: 2 latent numbers per digit, so the latent space is a plane to look at
WIDE = (4, 8, 16, 32)  # the wider latent sizes a student may pick (the denoising AE uses it too)
BETAS = (0.05, 0.1, 0.2, 0.5, 1.0)  # weights of the VAE's KL term a student may pick
MAX_EPOCHS = 150  # all four models train together, so a student's longest run stays short enough to wait for
MAX_NOISE = 1.0
KEYS = ("ae", "wide", "denoising", "vae")  # the page's four models, in the legend's order
ASSETS = {"ae": "ae_digits", "wide": "ae_digits_wide", "denoising": "ae_denoising", "vae": "vae_digits"}


@dataclass(frozen=True)
class Recipe:
    """The four autoencoders and how they train: Adam, mean squared error between reconstruction and input."""

    wide: int = 16  # latent numbers of the wider plain AE and of the denoising AE
    noise: float = 0.5  # the denoising AE's training noise: each digit gets a std drawn from 0..noise, every step
    beta: float = 0.2  # weight of the VAE's KL term (2 σ² of a Gaussian decoder with pixel noise σ)
    epochs: int = 60
    lr: float = 0.003  # Adam
    batch_size: int = 32
    seed: int = 0
    code_version: int = 3  # bump when results change (cache key). 2: the trainer's messages; 3: the epochs kept

    def __post_init__(self) -> None:
        if self.wide not in WIDE:
            raise ValueError(f"The wider latent space has {', '.join(map(str, WIDE))} numbers, not {self.wide}.")
        if not 0 < self.noise <= MAX_NOISE:
            raise ValueError(f"The training noise must be above 0 and at most {MAX_NOISE} (pixels run from 0 to 1).")
        if not 0.01 <= self.beta <= 10:
            raise ValueError("The weight of the KL term (β) must be between 0.01 and 10.")
        check_training(self.epochs, MAX_EPOCHS, self.lr, self.batch_size, self.seed, "digits")

    def train_config(self) -> TrainConfig:
        return adam(self.epochs, self.batch_size, self.lr, self.seed)

    def latent(self, key: str) -> int:
        return NARROW if key in ("ae", "vae") else self.wide

    def label(self, key: str) -> str:
        """The model's name on charts and tables, e.g. "denoising AE 16-D" (16 latent numbers)."""
        kind = {"ae": "plain AE", "wide": "plain AE", "denoising": "denoising AE", "vae": "VAE"}[key]
        return f"{kind} {self.latent(key)}-D"

    def build(self, key: str, generator: torch.Generator | None = None) -> AutoEncoder:
        if key == "vae":
            return VariationalAutoEncoder(NARROW, self.beta, generator)
        return AutoEncoder(self.latent(key), self.noise if key == "denoising" else 0.0, generator)


SHIPPED_RECIPE = Recipe()  # the shipped weights; "Train it yourself" starts from the same recipe


def add_noise(x: Tensor, std: Tensor | float, eps: Tensor) -> Tensor:
    """x + std · eps, clipped to the pixel range 0..1; eps is standard normal noise shaped like x."""
    return (x + std * eps).clamp(0, 1)


class Noise(nn.Module):
    """The denoising AE's first layer: Gaussian noise on every pixel while training, nothing in eval mode.

    Like dropout it only acts during training, drawing fresh noise at every step, so the network never
    sees the same spoiled digit twice. Each digit gets its own strength, a std drawn from 0..`std_max`,
    so the AE learns to clean light and heavy noise alike.
    """

    def __init__(self, std_max: float):
        super().__init__()
        self.std_max = std_max

    def forward(self, x: Tensor) -> Tensor:  # (N, 1, 8, 8) -> (N, 1, 8, 8)
        if not self.training:
            return x
        std = torch.rand(len(x), 1, 1, 1, device=x.device) * self.std_max  # (N, 1, 1, 1): one strength per digit
        return add_noise(x, std, torch.randn_like(x))


class Reparameterize(nn.Module):
    """The VAE's sampling step: (N, 2L) -> (N, L), the code z = μ + σ · ε while training (ε ~ N(0, 1)), μ in eval.

    The encoder's last layer gives a mean μ and a log-variance log σ² per latent number. Drawing z this
    way keeps it differentiable in μ and σ (the "reparameterization trick"). `kl` is the KL divergence
    between N(μ, σ²) and the standard normal, summed over the L numbers and averaged over the batch.
    """

    def forward(self, h: Tensor) -> Tensor:
        mu, log_var = h.chunk(2, dim=-1)  # (N, L) each
        self.kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(dim=-1).mean()
        if not self.training:
            return mu
        return mu + (0.5 * log_var).exp() * torch.randn_like(mu)


def _init(model: nn.Module, generator: torch.Generator | None) -> None:
    """PyTorch's default initialisation of every Linear layer, drawn from `generator` (seeded weights)."""
    if generator is None:
        return
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(m.in_features)
            nn.init.uniform_(m.bias, -bound, bound, generator=generator)


class AutoEncoder(nn.Module):
    """Encoder: flatten -> 64 -> 32 -> latent; decoder: latent -> 32 -> 64 -> 64 pixels -> sigmoid -> 8 x 8.

    Shapes for one digit and a 2-D latent: (1, 8, 8) -> (64,) -> (64,) -> (32,) -> (2,) the code ->
    (32,) -> (64,) -> (64,) in 0..1 -> (1, 8, 8). The sigmoid keeps every pixel in the data's 0..1 range.
    `noise` > 0 puts a `Noise` layer in front: a denoising autoencoder. `code_width`: what the encoder
    outputs when that is not the code itself (the VAE's μ and log σ², two numbers per latent number).
    """

    def __init__(self, latent: int = NARROW, noise: float = 0.0, generator: torch.Generator | None = None,
                 code_width: int | None = None):
        super().__init__()
        a, b = HIDDEN
        self.encoder = nn.Sequential(
            *([Noise(noise)] if noise else []),
            nn.Flatten(),  # (N, 1, 8, 8) -> (N, 64)
            nn.Linear(PIXELS, a), nn.ReLU(),
            nn.Linear(a, b), nn.ReLU(),
            nn.Linear(b, code_width or latent),  # (N, latent): no activation, a code may be any number
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent, b), nn.ReLU(),
            nn.Linear(b, a), nn.ReLU(),
            nn.Linear(a, PIXELS), nn.Sigmoid(),
            nn.Unflatten(1, (1, SIDE, SIDE)),  # (N, 64) -> (N, 1, 8, 8)
        )
        self.latent = latent
        _init(self, generator)

    def encode(self, x: Tensor) -> Tensor:  # (N, 1, 8, 8) -> (N, latent)
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:  # (N, latent) -> (N, 1, 8, 8)
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:  # (N, 1, 8, 8) -> (N, 1, 8, 8): the reconstruction
        return self.decode(self.encode(x))


class VariationalAutoEncoder(AutoEncoder):
    """The same encoder and decoder, but the encoder describes each digit as a distribution over the latent plane.

    Its last layer gives 2 L numbers (μ and log σ²), `Reparameterize` draws the code. Training adds
    `beta · KL / 64` to the per-pixel MSE as `aux_loss`; the trainer's curves show the MSE alone. In eval
    mode the code is μ, so reconstructions and the latent map are deterministic.
    """

    def __init__(self, latent: int = NARROW, beta: float = SHIPPED_RECIPE.beta,
                 generator: torch.Generator | None = None):
        super().__init__(latent, 0.0, None, code_width=2 * latent)
        self.encoder.append(Reparameterize())
        self.beta = beta
        self.aux_loss: Tensor | None = None
        _init(self, generator)

    def forward(self, x: Tensor) -> Tensor:
        out = self.decode(self.encode(x))
        # the trainer's MSE is a mean over pixels, so the KL per digit is shared out over the 64 pixels too
        sample = cast(Reparameterize, self.encoder[-1])
        self.aux_loss = self.beta * sample.kl / PIXELS if self.training else None
        return out


# CPU seconds measured on the app's 2-core machine with one torch thread (time.process_time()
# around train(Recipe(...)) with a progress callback, 2026-12-03): what a run alone on a free core takes.
# Recipe(epochs=10): 3.6 s for the four side by side (3.7 s with the widest latent space). The four
# shipped files took 10.4 s together, each trained alone: side by side costs more than the sum.
EPOCH_SECONDS = 0.36


def expected_seconds(recipe: Recipe) -> float:
    """Training time of the four autoencoders on a free CPU core, scaled from a measured run by epochs."""
    return recipe.epochs * EPOCH_SECONDS


def build(recipe: Recipe) -> dict[str, AutoEncoder]:
    """The page's four untrained models by key ("ae", "wide", "denoising", "vae"), as `train` starts them."""
    return {k: recipe.build(k) for k in KEYS}



@functools.lru_cache(maxsize=1)
def digits() -> Dataset:
    """The digits of every page (pixels in [0, 1], `cnn.digits`) as images (N, 1, 8, 8) whose target is themselves.

    n_classes = 0 makes the trainer use the mean squared error between the output and y = x.
    The digit labels are not used for training; `labels()` keeps them for colouring the latent map.
    """
    images = cnn.digits()
    return replace(images, name="digits (autoencoder)", y_train=images.x_train, y_val=images.x_val, n_classes=0,
                   feature_names=tuple(f"pixel {i}" for i in range(PIXELS)), class_names=())


def labels(split: str = "validation") -> np.ndarray:
    """The digit (0-9) of every image of `split`, in the order of `digits()`."""
    images = cnn.digits()
    return (images.y_val if split == "validation" else images.y_train).numpy()


def _fit(recipe: Recipe, keys: tuple[str, ...], on_progress: Progress[Snapshot] | None = None) -> FitResult:
    """`keys`' models side by side through the one trainer (each curve is what a separate run gives)."""
    variants = [Variant(recipe.label(k), functools.partial(recipe.build, k), recipe.train_config()) for k in keys]
    return fit_many(variants, digits(), torch.device("cpu"), on_progress, progress_every=2)


TASKS = {  # what each shipped file does, for the zoo overview's table
    "ae": "8x8 digits: reconstruct the input through {latent} latent numbers",
    "wide": "8x8 digits: reconstruct the input through {latent} latent numbers",
    "denoising": "8x8 digits: reconstruct the clean digit from a noisy one (noise std up to {noise:g}), "
                 "{latent} latent numbers",
    "vae": "8x8 digits: variational autoencoder, {latent} latent numbers, KL weight {beta:g}",
}


def _maker(key: str) -> Callable[[bool], tuple[nn.Module, dict]]:
    def make(quick: bool) -> tuple[nn.Module, dict]:
        """One shipped model of the page (quick: 1 epoch, for the tests)."""
        recipe = replace(SHIPPED_RECIPE, epochs=1) if quick else SHIPPED_RECIPE
        label = recipe.label(key)
        result = _fit(recipe, (key,))
        model = weights.into(recipe.build(key), result.states[label])
        return model, {
            "task": TASKS[key].format(latent=recipe.latent(key), noise=recipe.noise, beta=recipe.beta),
            "model": key, "label": label, "latent": recipe.latent(key),
            "hidden": list(HIDDEN), "wide": recipe.wide, "noise": recipe.noise, "beta": recipe.beta,
            "epochs": recipe.epochs, "lr": recipe.lr, "batch_size": recipe.batch_size, "optimizer": "adam",
            "seed": recipe.seed, "parameters": weights.count(model),
            "val_mse": round(result.final("loss")[label], 6),
            "history": weights.curves(result.history, label, ("loss",), 6),
        }
    return make


SHIPPED = {ASSETS[k]: _maker(k) for k in KEYS}


@dataclass
class Trained:
    """The four trained autoencoders and how they got there; while they train, the curves so far.

    A partial `Trained` (handed to `on_progress`) has its `history` so far and no weights yet.
    """

    recipe: Recipe  # how they were trained (for the shipped files: read back from their meta)
    history: pd.DataFrame  # variant (the model's label), epoch, split, metric ("loss": per-pixel MSE), value
    states: dict[str, dict[str, np.ndarray]]  # "ae" / "wide" / "denoising" / "vae" -> weights (empty while training)
    shipped: bool
    seconds: float  # training time (for shipped weights: what making the files took)
    messages: dict[str, str] = field(default_factory=dict)  # model label -> what the trainer said (a blown-up
    # loss); none for the shipped weights or while training
    kept_epoch: dict[str, int] = field(default_factory=dict)  # model label -> the epoch whose weights it kept
    # (`FitResult.best_epoch`: the last, or the one before its loss blew up); empty for shipped or while training

    def networks(self) -> dict[str, AutoEncoder]:
        """The four models built from these weights, in eval mode (new modules: the weights stay shared)."""
        if not self.states:
            raise ValueError("The autoencoders are still training: there are no weights to look at yet.")
        return {k: weights.into(self.recipe.build(k), self.states[k]) for k in KEYS}


def train(recipe: Recipe, on_progress: Progress[Trained] | None = None) -> Trained:
    """Train the four models side by side; `on_progress(fraction, Trained so far)` reports the curves as they grow."""
    start = time.perf_counter()
    report = None if on_progress is None else (lambda fraction, snap: on_progress(
        fraction, Trained(recipe, snap.history, {}, False, time.perf_counter() - start)))
    result = _fit(recipe, KEYS, report)
    states = {k: result.states[recipe.label(k)] for k in KEYS}
    return Trained(recipe, result.history, states, False, result.seconds, result.messages, result.best_epoch)


def _recipe(meta: dict) -> Recipe:
    """The recipe a shipped file's meta records."""
    return Recipe(wide=meta["wide"], noise=meta["noise"], beta=meta["beta"], epochs=meta["epochs"], lr=meta["lr"],
                  batch_size=meta["batch_size"], seed=meta["seed"])


def shipped() -> Trained:
    """The four shipped files as a `Trained`: weights, and the curves recorded in their meta while they were made."""
    loaded = {k: weights.load(ASSETS[k]) for k in KEYS}
    recipe = _recipe(loaded["ae"][1])
    history = weights.history({recipe.label(k): loaded[k][1]["history"] for k in KEYS})
    states = {k: {name: t.numpy() for name, t in loaded[k][0].items()} for k in KEYS}
    seconds = sum(float(loaded[k][1].get("seconds_to_make") or 0) for k in KEYS)
    return Trained(recipe, history, states, True, seconds)
