"""Experiments on the zoo's trained autoencoders: layers with shapes, reconstructions, the latent plane, denoising,
the VAE's grid and walks.

Every experiment (`inspect`, `denoise`, `walk`) is handed the `core.zoo.autoencoders.Trained` its
config's `source` names and only runs its networks forward on the validation digits: it never
fetches or trains a model. Errors are the mean squared error per pixel (pixels 0..1) over the
validation digits, the same number as the trainer's validation loss.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from core import images
from core.device import generator
from core.progress import Progress
from core.zoo import shapes, source
from core.zoo.autoencoders import KEYS, MAX_NOISE, NARROW, PIXELS, AutoEncoder, Trained, add_noise, digits, labels
from core.zoo.source import Inspect, Source

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
    times = int(wrong.value_counts().iloc[0]) if len(wrong) else 0
    return float((nearest == y).mean()), (int(pair[0]), int(pair[1]), times)


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
class ShapeFacts:
    """What section 1 says of the 2-D plain AE's two halves."""

    pixels_in: int
    latent_numbers: int
    times_fewer: float  # pixels_in / latent_numbers
    encoder_weights: int
    decoder_weights: int
    output_sigmoid: bool  # the decoder ends in a sigmoid: every pixel between 0 and 1


@dataclass(frozen=True)
class ReconstructionFacts:
    """What section 2 says of the clean validation digits' reconstructions (MSE per pixel)."""

    error_ae: float
    error_wide: float
    error_vae: float
    wide_latent: int
    mean_digit_error: float  # answering the average training digit for every input
    ae_share_of_mean_digit: float  # error_ae / mean_digit_error
    worst_digit: str  # the 2-D plain AE's worst and best digit class, with its error
    worst_digit_error: float
    best_digit: str
    best_digit_error: float
    vae_extra_error: float  # error_vae / error_ae - 1 (below 0: the VAE reconstructs better)


@dataclass(frozen=True)
class LatentFacts:
    """What section 3 says of the 2-D latent planes of the validation digits.

    The VAE's KL term pulls each digit's N(μ, σ²) towards the standard normal (Kingma and Welling 2014, appendix B):
    that pulls every μ towards 0 and keeps the codes in a compact region around the origin, the region the grid
    decodes. It does not pull the spread of the μ's to 1: were the mixture of all digits' N(μ, σ²) the prior,
    Var(μ) + E[σ²] would be 1 and std(μ) below 1. So the facts say where the codes sit, not how near 1 they spread.
    """

    same_digit_ae: float  # share whose nearest other code on the plain AE's plane is the same digit
    same_digit_vae: float
    same_digit_pixels: float  # the same in the 64 raw pixels
    same_digit_by_chance: float  # the share for a random other validation digit: sum of the class shares squared
    gathers: bool  # same_digit_ae at least 3 times same_digit_by_chance: "digits of a kind gather"
    mixed_a: int  # the digit pair the plain AE's plane mixes up most, and how often
    mixed_b: int
    mixed_times: int
    spread_ae: float  # standard deviation of the codes (mean of the two axes)
    spread_vae: float
    centre_ae: float  # distance of the codes' mean from the origin (0, 0)
    centre_vae: float
    in_square_ae: float  # share of the codes inside the square the grid of section 5 decodes (-SPAN..SPAN)
    in_square_vae: float
    vae_compact_at_origin: bool  # the VAE's codes sit around 0: centre_vae < 0.25 and in_square_vae >= 0.8


@dataclass(frozen=True)
class NoiseCurveFacts:
    """What section 4 says of the error-against-noise chart (every level of NOISE_LEVELS)."""

    denoising_wins_from: float | None  # the lowest level from which the denoising AE beats the plain wide one at
    # every level shown (None: it does not win at the highest level)
    denoising_wins_anywhere: bool
    clean_error_denoising: float  # on the clean digits: what training on noise costs
    clean_error_wide: float
    denoising_pays_on_clean: bool  # clean_error_denoising > clean_error_wide


@dataclass(frozen=True)
class GridFacts:
    """What section 5 says of the VAE's decoded grid (RMS difference per pixel between decoded cells)."""

    grid_neighbour_rms: float
    grid_random_rms: float
    grid_ratio: float  # grid_random_rms / grid_neighbour_rms


@dataclass
class InspectResult:
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
    codes_by: dict[str, pd.DataFrame]  # "ae" / "vae" -> that model's rows of `codes`
    shape_facts: ShapeFacts
    reconstruction_facts: ReconstructionFacts
    latent_facts: LatentFacts
    noise_facts: NoiseCurveFacts
    grid_facts: GridFacts


def wins_from(levels: pd.Series | list[float], wins: list[bool]) -> float | None:
    """The lowest level from which `wins` holds at every higher level too (levels ascending); None if not at the top.

    "Beats it from noise 0.15 up" must hold at 0.15 and at every level above it, not only somewhere.
    """
    found = None
    for level, won in zip(reversed(list(levels)), reversed(list(wins))):
        if not won:
            break
        found = float(level)
    return found


def chance_same(y: np.ndarray) -> float:
    """The probability that another validation digit, drawn at random, is the same digit (classes as counted)."""
    counts = np.bincount(y).astype(float)
    return float((counts * (counts - 1)).sum() / (len(y) * (len(y) - 1)))


def _encoder_decoder(model: AutoEncoder, x: Tensor) -> tuple[pd.DataFrame, pd.DataFrame]:
    encoder = shapes.trace(model.encoder, x)
    return encoder, shapes.trace(model.decoder, model.encode(x))


@torch.no_grad()
def inspect(cfg: Inspect, trained: Trained, on_progress: Progress[InspectResult] | None = None) -> InspectResult:
    """Everything about the four models that does not depend on the page's noise slider or walk."""
    source.check(cfg.source, trained)
    recipe, nets = trained.recipe, trained.networks()
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
    codes = pd.concat([pd.DataFrame({"model": recipe.label(k), "z1": z[k][:, 0], "z2": z[k][:, 1],
                                     "digit": y.astype(str)})
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
    table = frame.pivot(index="noise (std)", columns="model", values="error")
    beats = (table[recipe.label("denoising")] < table[recipe.label("wide")]).tolist()
    ae_digits = class_errors[class_errors.model == recipe.label("ae")].set_index("digit")[CLASS_ERROR]
    errors = {k: _mse(out[k], x) for k in KEYS}
    weights = {"encoder": int(encoder.parameters.sum()), "decoder": int(decoder.parameters.sum())}
    mean_error = _mse(mean_digit.expand_as(x), x)
    same_pixels = _same_digit_neighbour(x.flatten(1).numpy(), y)[0]
    spread = {k: float(z[k].std(axis=0).mean()) for k in z}
    centre = {k: float(np.linalg.norm(z[k].mean(axis=0))) for k in z}
    in_square = {k: float((np.abs(z[k]) <= SPAN).all(axis=1).mean()) for k in z}
    smooth = smoothness(decoded.reshape(GRID, GRID, -1))
    worst, best = ae_digits.idxmax(), ae_digits.idxmin()
    return InspectResult(
        labels={k: recipe.label(k) for k in KEYS}, encoder=encoder, decoder=decoder,
        vae_encoder=shapes.trace(nets["vae"].encoder, x[:1]),
        weights=weights,
        strips=[_strip(x[picked])] + [_strip(out[k][picked]) for k in ("ae", "wide", "vae")],
        errors=errors, mean_digit_error=mean_error, class_errors=class_errors, codes=codes,
        neighbours={**{k: v[0] for k, v in near.items()}, "pixels": same_pixels},
        mixed={k: v[1] for k, v in near.items()}, spread=spread,
        grid=_strip(decoded, GRID_PX, cols=GRID), smooth=smooth, noise_curve=frame,
        extremes=((worst, float(ae_digits[worst])), (best, float(ae_digits[best]))),
        denoising_wins_from=wins_from(table.index, beats),
        codes_by={k: codes[codes.model == recipe.label(k)] for k in z},
        shape_facts=ShapeFacts(
            pixels_in=PIXELS, latent_numbers=NARROW, times_fewer=PIXELS / NARROW, encoder_weights=weights["encoder"],
            decoder_weights=weights["decoder"], output_sigmoid=bool((decoder.kind == "Sigmoid").any())),
        reconstruction_facts=ReconstructionFacts(
            error_ae=errors["ae"], error_wide=errors["wide"], error_vae=errors["vae"], wide_latent=recipe.wide,
            mean_digit_error=mean_error, ae_share_of_mean_digit=errors["ae"] / mean_error,
            worst_digit=str(worst), worst_digit_error=float(ae_digits[worst]), best_digit=str(best),
            best_digit_error=float(ae_digits[best]), vae_extra_error=errors["vae"] / errors["ae"] - 1),
        latent_facts=LatentFacts(
            same_digit_ae=near["ae"][0], same_digit_vae=near["vae"][0], same_digit_pixels=same_pixels,
            same_digit_by_chance=chance_same(y), gathers=near["ae"][0] >= 3 * chance_same(y),
            mixed_a=near["ae"][1][0], mixed_b=near["ae"][1][1],
            mixed_times=near["ae"][1][2], spread_ae=spread["ae"], spread_vae=spread["vae"], centre_ae=centre["ae"],
            centre_vae=centre["vae"], in_square_ae=in_square["ae"], in_square_vae=in_square["vae"],
            vae_compact_at_origin=centre["vae"] < 0.25 and in_square["vae"] >= 0.8),
        noise_facts=NoiseCurveFacts(
            denoising_wins_from=wins_from(table.index, beats), denoising_wins_anywhere=any(beats),
            clean_error_denoising=errors["denoising"], clean_error_wide=errors["wide"],
            denoising_pays_on_clean=errors["denoising"] > errors["wide"]),
        grid_facts=GridFacts(grid_neighbour_rms=smooth[0], grid_random_rms=smooth[1], grid_ratio=smooth[1] / smooth[0]),
    )


@dataclass(frozen=True)
class Denoise:
    source: Source = Source("autoencoders")
    noise: float = 0.3  # std of the Gaussian noise added to the validation digits (pixels 0..1)
    code_version: int = 3  # 3: the model comes as an input; DenoiseResult

    def __post_init__(self) -> None:
        if not 0 <= self.noise <= MAX_NOISE:
            raise ValueError(f"The noise level (a standard deviation) must be between 0 and {MAX_NOISE}.")


@dataclass(frozen=True)
class DenoiseFacts:
    """What section 4 says at one noise level (MSE per pixel against the clean digits)."""

    noise_level: float
    noisy_input_error: float  # the noisy digits themselves
    noisy_error_ae: float
    noisy_error_wide: float
    noisy_error_denoising: float
    noisy_clean_error_ae: float  # the same models on the clean digits, for the rise
    noisy_clean_error_wide: float
    denoising_gain: float  # 1 - noisy_error_denoising / noisy_error_wide (below 0: the plain AE does better)
    narrow_worse_than_denoising: bool  # the 2-D bottleneck alone denoises worse than training on noise


@dataclass
class DenoiseResult:
    pictures: list[np.ndarray]  # noisy input, clean original, plain AE (wide), denoising AE: 10 digits each
    errors: dict[str, float]  # "input" (the noisy digits themselves) and each model key -> error on noisy digits
    table: pd.DataFrame  # model, latent numbers, trained on, error on clean digits, error on noisy digits
    facts: DenoiseFacts


@torch.no_grad()
def denoise(cfg: Denoise, trained: Trained, on_progress: Progress[DenoiseResult] | None = None) -> DenoiseResult:
    """Every model on the validation digits spoiled with noise of std `cfg.noise` (the same noise for all)."""
    source.check(cfg.source, trained)
    recipe, nets = trained.recipe, trained.networks()
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
    rows.append({"model": NO_MODEL, "latent numbers": "none", "trained on": "nothing", "error on clean digits": 0.0,
                 column: _mse(noisy, x)})
    errors = {"input": _mse(noisy, x), **{k: _mse(out[k], x) for k in KEYS}}
    clean = {k: _mse(nets[k](x), x) for k in ("ae", "wide")}
    return DenoiseResult(
        pictures=[_strip(t[picked], TILE_PX, cols=5) for t in (noisy, x, out["wide"], out["denoising"])],
        errors=errors, table=pd.DataFrame(rows),
        facts=DenoiseFacts(
            noise_level=cfg.noise, noisy_input_error=errors["input"], noisy_error_ae=errors["ae"],
            noisy_error_wide=errors["wide"], noisy_error_denoising=errors["denoising"],
            noisy_clean_error_ae=clean["ae"], noisy_clean_error_wide=clean["wide"],
            denoising_gain=1 - errors["denoising"] / errors["wide"],
            narrow_worse_than_denoising=errors["ae"] > errors["denoising"]),
    )


@dataclass(frozen=True)
class Walk:
    source: Source = Source("autoencoders")
    start: int = 4  # the digit the walk starts from ...
    end: int = 0  # ... and the one it ends at (the same digit twice walks between two ways of writing it)
    code_version: int = 3  # 3: the model comes as an input; WalkResult

    def __post_init__(self) -> None:
        if not (0 <= self.start <= 9 and 0 <= self.end <= 9):
            raise ValueError("Pick two digits between 0 and 9.")


@dataclass(frozen=True)
class WalkFacts:
    """What section 5 says of one walk between two digits in the VAE's plane."""

    walk_start: int
    walk_end: int
    walk_nearest: tuple[int, ...]  # per step, the digit of the nearest validation code
    walk_crossed: tuple[int, ...]  # the other digits' regions it passes through, in ascending order
    fade_halfway: float  # the cross-fade's weight of each image at the middle step (0.5: both at half brightness)


@dataclass
class WalkResult:
    latent: np.ndarray  # the VAE's decoder along the straight line between the two codes
    pixels: np.ndarray  # the two digits cross-faded pixel by pixel
    images: tuple[int, int]  # the validation images walked between
    path: pd.DataFrame  # step, z1, z2: the walk's points in the latent plane
    nearest: list[int]  # per step, the digit of the nearest validation code: the regions the walk crosses
    facts: WalkFacts


def typical(mu: Tensor, y: np.ndarray, digit: int, rank: int = 0) -> int:
    """The validation image of `digit` whose VAE code lies nearest the median code of that digit (rank 1: next)."""
    idx = np.flatnonzero(y == digit)
    centre = mu[idx].median(dim=0).values
    return int(idx[(mu[idx] - centre).norm(dim=1).argsort()[rank]])


@torch.no_grad()
def walk(cfg: Walk, trained: Trained, on_progress: Progress[WalkResult] | None = None) -> WalkResult:
    """From one digit to another: a straight line in the VAE's latent plane, decoded, against a pixel cross-fade."""
    source.check(cfg.source, trained)
    nets = trained.networks()
    ds, y = digits(), labels()
    vae = nets["vae"]
    mu = vae.encode(ds.x_val)  # (N, 2)
    a = typical(mu, y, cfg.start)
    b = typical(mu, y, cfg.end, rank=1 if cfg.end == cfg.start else 0)
    t = torch.linspace(0, 1, STEPS).unsqueeze(1)  # (STEPS, 1)
    z = (1 - t) * mu[a] + t * mu[b]  # (STEPS, 2): equal steps along the straight line
    fade = t.view(-1, 1, 1, 1)
    blend = (1 - fade) * ds.x_val[a] + fade * ds.x_val[b]  # (STEPS, 1, 8, 8)
    nearest = [int(d) for d in y[torch.cdist(z, mu).argmin(dim=1).numpy()]]
    return WalkResult(
        latent=_strip(vae.decode(z)), pixels=_strip(blend), images=(a, b),
        path=pd.DataFrame({"step": range(STEPS), "z1": z[:, 0].numpy(), "z2": z[:, 1].numpy()}),
        nearest=nearest,
        facts=WalkFacts(walk_start=cfg.start, walk_end=cfg.end, walk_nearest=tuple(nearest),
                        walk_crossed=tuple(sorted(set(nearest) - {cfg.start, cfg.end})),
                        fade_halfway=float(t[STEPS // 2])),
    )
