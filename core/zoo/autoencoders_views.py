"""Looking at the zoo's autoencoders: layers with shapes, reconstructions, the latent plane, denoising, the VAE's grid and walks.

Every view takes a `core.zoo.autoencoders.Source` (the shipped weights or a student's recipe) and only
runs the trained networks forward on the validation digits: no training here, so the page's default
view costs a few milliseconds of inference. Errors are the mean squared error per pixel (pixels 0..1)
over the 539 validation digits, the same number as the trainer's validation loss.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from core import images
from core.device import generator
from core.zoo import shapes
from core.zoo.autoencoders import KEYS, MAX_NOISE, NARROW, AutoEncoder, Source, add_noise, digits, labels, models

NOISE_SEED = 0  # the noise spoiling the validation digits: the same for every model and every noise level
NOISE_LEVELS = tuple(round(0.05 * i, 2) for i in range(13))  # 0 .. 0.6: the error-against-noise chart
GRID = 10  # the VAE's latent plane decoded on GRID x GRID points ...
SPAN = 2.0  # ... from -SPAN to +SPAN on both axes (the prior N(0, 1) puts 91 % of its mass in that square)
STEPS = 9  # images in a walk between two digits, both ends included
STRIP_PX, TILE_PX, GRID_PX = 112, 96, 56  # pixels per digit: full-width strips, denoising pictures, the VAE grid
NO_MODEL = "noisy input itself (no model)"
CLASS_ERROR = "validation error (MSE per pixel)"


@torch.no_grad()
def _mse(out: Tensor, target: Tensor) -> float:
    """Mean squared error per pixel (the trainer's loss)."""
    return float(((out - target) ** 2).mean())


def _picture(x: Tensor, px: int) -> np.ndarray:
    """One 8 x 8 digit (values 0..1, 0 = black background) as an enlarged grey picture."""
    return images.upscale(images.gray(x.reshape(8, 8).numpy(), 0, 1), px)


def _strip(x: Tensor, px: int = STRIP_PX, cols: int | None = None) -> np.ndarray:
    """Digits (N, 1, 8, 8) side by side (`cols` per row), 4 px of white between them."""
    return images.montage([_picture(d, px) for d in x], cols=cols or len(x), pad=4, fill=255)


def shown() -> list[int]:
    """The validation digits the pictures show: the first 0, the first 1, ..., the first 9."""
    y = labels()
    return [int(np.flatnonzero(y == d)[0]) for d in range(10)]


def _eps() -> Tensor:
    """Fixed standard normal noise for every validation digit, (N, 1, 8, 8)."""
    return torch.randn(digits().x_val.shape, generator=generator(NOISE_SEED))


def _same_digit_neighbour(points: np.ndarray, y: np.ndarray) -> tuple[float, tuple[int, int, int]]:
    """Share of points whose nearest other point has the same digit, and the most mixed pair (a, b, times)."""
    d = torch.cdist(torch.as_tensor(points, dtype=torch.float32), torch.as_tensor(points, dtype=torch.float32))
    d.fill_diagonal_(float("inf"))
    nearest = y[d.argmin(dim=1).numpy()]
    wrong = pd.Series([tuple(sorted(p)) for p in zip(y[nearest != y], nearest[nearest != y])], dtype=object)
    pair = wrong.value_counts().index[0] if len(wrong) else (0, 0)
    return float((nearest == y).mean()), (int(pair[0]), int(pair[1]), int(wrong.value_counts().iloc[0]) if len(wrong) else 0)


def _rms(a: Tensor, b: Tensor) -> Tensor:
    """Root mean squared difference between images, over their last dimension (flattened pixels)."""
    return ((a - b) ** 2).mean(dim=-1).sqrt()


def smoothness(decoded: Tensor) -> tuple[float, float]:
    """(mean RMS difference of neighbouring grid cells, of all pairs of cells) for decoded images (G, G, 64)."""
    neighbours = torch.cat([_rms(decoded[1:], decoded[:-1]).flatten(), _rms(decoded[:, 1:], decoded[:, :-1]).flatten()])
    flat = decoded.reshape(-1, decoded.shape[-1])
    pairs = torch.cdist(flat, flat) / flat.shape[-1] ** 0.5  # RMS per pair
    n = len(flat)
    return float(neighbours.mean()), float(pairs.sum() / (n * (n - 1)))


@dataclass(frozen=True)
class View:
    source: Source = field(default_factory=Source)
    code_version: int = 1


@dataclass
class Inspection:
    labels: dict[str, str]  # "ae" / "wide" / "denoising" / "vae" -> the model's name on charts and tables
    encoder: pd.DataFrame  # shapes.trace of the 2-D plain AE's encoder (digit -> code) ...
    decoder: pd.DataFrame  # ... and of its decoder (code -> digit)
    vae_encoder: pd.DataFrame  # the VAE's encoder, ending in its sampling step
    weights: dict[str, int]  # "encoder" / "decoder" -> parameters of the 2-D plain AE
    strips: list[np.ndarray]  # originals, then the reconstructions of "ae", "wide", "vae" (one digit per class)
    errors: dict[str, float]  # model key -> validation error on clean digits
    mean_digit_error: float  # the error of answering the average training digit for every input
    class_errors: pd.DataFrame  # model, digit, validation error (MSE per pixel)
    codes: pd.DataFrame  # model, z1, z2, digit (str): validation digits in the 2-D latent planes (VAE: the means μ)
    neighbours: dict[str, float]  # "ae" / "vae" / "pixels" -> share whose nearest neighbour is the same digit
    mixed: dict[str, tuple[int, int, int]]  # "ae" / "vae" -> the digit pair mixed up most, and how often
    spread: dict[str, float]  # "ae" / "vae" -> standard deviation of the codes (mean of the two axes)
    grid: np.ndarray  # the VAE's decoder on a GRID x GRID square of the latent plane (z2 up, z1 right)
    smooth: tuple[float, float]  # (neighbouring cells, random pairs of cells): mean RMS difference
    noise_curve: pd.DataFrame  # model, noise (std), error: every model against the noise level
    extremes: tuple[tuple[str, float], tuple[str, float]]  # the 2-D plain AE's worst and best digit, with its error
    denoising_wins_from: float | None  # the lowest noise level from which the denoising AE beats the plain wide one


def _encoder_decoder(model: AutoEncoder, x: Tensor) -> tuple[pd.DataFrame, pd.DataFrame]:
    encoder = shapes.trace(model.encoder, x)
    return encoder, shapes.trace(model.decoder, model.encode(x))


@torch.no_grad()
def inspect(cfg: View, on_progress: object = None) -> Inspection:
    """Everything about the four models that does not depend on the page's noise slider or walk."""
    recipe, nets = models(cfg.source)
    ds, y = digits(), labels()
    x = ds.x_val  # (N, 1, 8, 8)
    out = {k: nets[k](x) for k in KEYS}
    encoder, decoder = _encoder_decoder(nets["ae"], x[:1])
    picked = shown()
    mean_digit = ds.x_train.mean(dim=0, keepdim=True)  # (1, 1, 8, 8)
    per_pixel = {k: ((out[k] - x) ** 2).flatten(1).mean(dim=1).numpy() for k in KEYS}  # (N,) per model
    class_errors = pd.DataFrame([{"model": recipe.label(k), "digit": str(d),
                                  CLASS_ERROR: float(per_pixel[k][y == d].mean())}
                                 for k in KEYS for d in range(10)])
    z = {k: nets[k].encode(x).numpy() for k in ("ae", "vae")}  # (N, 2): the VAE's encoder gives μ in eval mode
    codes = pd.concat([pd.DataFrame({"model": recipe.label(k), "z1": z[k][:, 0], "z2": z[k][:, 1], "digit": y.astype(str)})
                       for k in z], ignore_index=True)
    near = {k: _same_digit_neighbour(z[k], y) for k in z}
    axis = torch.linspace(-SPAN, SPAN, GRID)
    z1, z2 = torch.meshgrid(axis, axis.flip(0), indexing="xy")  # row 0 at the top: z2 = +SPAN
    decoded = nets["vae"].decode(torch.stack([z1, z2], dim=-1).reshape(-1, NARROW))  # (G * G, 1, 8, 8)
    eps = _eps()
    curve = []
    for s in NOISE_LEVELS:
        noisy = add_noise(x, s, eps)
        curve += [{"model": recipe.label(k), "noise (std)": s, "error": _mse(nets[k](noisy), x)} for k in KEYS]
        curve.append({"model": NO_MODEL, "noise (std)": s, "error": _mse(noisy, x)})
    frame = pd.DataFrame(curve)
    wins = frame.pivot(index="noise (std)", columns="model", values="error")
    wins = wins.index[wins[recipe.label("denoising")] < wins[recipe.label("wide")]]
    ae_digits = class_errors[class_errors.model == recipe.label("ae")].set_index("digit")[CLASS_ERROR]
    return Inspection(
        labels={k: recipe.label(k) for k in KEYS}, encoder=encoder, decoder=decoder,
        vae_encoder=shapes.trace(nets["vae"].encoder, x[:1]),
        weights={"encoder": int(encoder.parameters.sum()), "decoder": int(decoder.parameters.sum())},
        strips=[_strip(x[picked])] + [_strip(out[k][picked]) for k in ("ae", "wide", "vae")],
        errors={k: _mse(out[k], x) for k in KEYS}, mean_digit_error=_mse(mean_digit.expand_as(x), x),
        class_errors=class_errors, codes=codes,
        neighbours={**{k: v[0] for k, v in near.items()}, "pixels": _same_digit_neighbour(x.flatten(1).numpy(), y)[0]},
        mixed={k: v[1] for k, v in near.items()},
        spread={k: float(z[k].std(axis=0).mean()) for k in z},
        grid=_strip(decoded, GRID_PX, cols=GRID), smooth=smoothness(decoded.reshape(GRID, GRID, -1)),
        noise_curve=frame,
        extremes=((ae_digits.idxmax(), float(ae_digits.max())), (ae_digits.idxmin(), float(ae_digits.min()))),
        denoising_wins_from=float(wins.min()) if len(wins) else None,
    )


@dataclass(frozen=True)
class Denoise:
    source: Source = field(default_factory=Source)
    noise: float = 0.3  # std of the Gaussian noise added to the validation digits (pixels 0..1)
    code_version: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.noise <= MAX_NOISE:
            raise ValueError(f"The noise level (a standard deviation) must be between 0 and {MAX_NOISE}.")


@dataclass
class Denoised:
    pictures: list[np.ndarray]  # noisy input, clean original, plain AE (wide), denoising AE: 10 digits each
    errors: dict[str, float]  # "input" (the noisy digits themselves) and each model key -> error on noisy digits
    table: pd.DataFrame  # model, latent numbers, trained on, error on clean digits, error on noisy digits


@torch.no_grad()
def denoise(cfg: Denoise, on_progress: object = None) -> Denoised:
    """Every model on the validation digits spoiled with noise of std `cfg.noise` (the same noise for all)."""
    recipe, nets = models(cfg.source)
    x = digits().x_val
    noisy = add_noise(x, cfg.noise, _eps())
    out = {k: nets[k](noisy) for k in KEYS}
    picked = shown()
    column = f"error on noisy digits (std {cfg.noise:g})"
    rows = []
    for k in KEYS:
        trained_on = f"noisy digits (std up to {recipe.noise:g})" if k == "denoising" else "clean digits"
        rows.append({"model": recipe.label(k), "latent numbers": str(recipe.latent(k)), "trained on": trained_on,
                     "error on clean digits": _mse(nets[k](x), x), column: _mse(out[k], x)})
    rows.append({"model": NO_MODEL, "latent numbers": "-", "trained on": "-", "error on clean digits": 0.0,
                 column: _mse(noisy, x)})
    return Denoised(
        pictures=[_strip(t[picked], TILE_PX, cols=5) for t in (noisy, x, out["wide"], out["denoising"])],
        errors={"input": _mse(noisy, x), **{k: _mse(out[k], x) for k in KEYS}},
        table=pd.DataFrame(rows),
    )


@dataclass(frozen=True)
class Walk:
    source: Source = field(default_factory=Source)
    start: int = 4  # the digit the walk starts from ...
    end: int = 0  # ... and the one it ends at (the same digit twice: two different ways of writing it)
    code_version: int = 1

    def __post_init__(self) -> None:
        if not (0 <= self.start <= 9 and 0 <= self.end <= 9):
            raise ValueError("Pick two digits between 0 and 9.")


@dataclass
class Walked:
    latent: np.ndarray  # the VAE's decoder along the straight line between the two codes
    pixels: np.ndarray  # the two digits cross-faded pixel by pixel
    images: tuple[int, int]  # the validation images walked between
    path: pd.DataFrame  # step, z1, z2: the walk's points in the latent plane
    nearest: list[int]  # per step, the digit of the nearest validation code: the regions the walk crosses


def typical(mu: Tensor, y: np.ndarray, digit: int, rank: int = 0) -> int:
    """The validation image of `digit` whose VAE code lies nearest the median code of that digit (rank 1: next)."""
    idx = np.flatnonzero(y == digit)
    centre = mu[idx].median(dim=0).values
    return int(idx[(mu[idx] - centre).norm(dim=1).argsort()[rank]])


@torch.no_grad()
def walk(cfg: Walk, on_progress: object = None) -> Walked:
    """From one digit to another: a straight line in the VAE's latent plane, decoded, against a pixel cross-fade."""
    _, nets = models(cfg.source)
    ds, y = digits(), labels()
    vae = nets["vae"]
    mu = vae.encode(ds.x_val)  # (N, 2)
    a = typical(mu, y, cfg.start)
    b = typical(mu, y, cfg.end, rank=1 if cfg.end == cfg.start else 0)
    t = torch.linspace(0, 1, STEPS).unsqueeze(1)  # (STEPS, 1)
    z = (1 - t) * mu[a] + t * mu[b]  # (STEPS, 2): equal steps along the straight line
    fade = t.view(-1, 1, 1, 1)
    blend = (1 - fade) * ds.x_val[a] + fade * ds.x_val[b]  # (STEPS, 1, 8, 8)
    nearest = y[torch.cdist(z, mu).argmin(dim=1).numpy()]
    return Walked(
        latent=_strip(vae.decode(z)), pixels=_strip(blend), images=(a, b),
        path=pd.DataFrame({"step": range(STEPS), "z1": z[:, 0].numpy(), "z2": z[:, 1].numpy()}),
        nearest=[int(d) for d in nearest],
    )
