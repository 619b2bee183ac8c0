"""The zoo at a glance (slide 65; the architectures on slides 66-71), and the models this app ships.

`ARCHITECTURES` is the slides' framing as data: purpose, architecture and output in a line each,
plus the key of the chapter that lets a student run it (ui/lesson_map turns the key into a page).
`shipped()` reads the weight files in `assets/zoo/` (safely, `weights_only=True`) and counts what is
inside them, so the table of parameter counts is measured from the files, not typed in;
`shipped_facts(table)` is what the page's notice says of it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.zoo import weights

BUFFERS = ("running_mean", "running_var", "num_batches_tracked")  # batch-norm statistics: state, not weights
SCORE_WORDS = ("accuracy", "iou", "error", "mse", "distance", "modes", "loss")
# A stored score whose name alone would mislead: the FCN's mean IoU leaves the background class out.
SCORE_NAMES = {"val_mean_iou": "val mean IoU over the three shapes"}


@dataclass(frozen=True)
class Architecture:
    name: str
    key: str  # the chapter's key in ui/lesson_map (core names no page paths)
    slide: str
    purpose: str
    architecture: str
    output: str
    prefixes: tuple[str, ...]  # the names of its shipped weight files start with one of these


ARCHITECTURES: tuple[Architecture, ...] = (
    Architecture("CNN", "cnn", "66",
                 "Spatial data such as images: finds local patterns (edges, textures, shapes).",
                 "Convolution (feature extraction) → pooling (downsampling) → fully connected → softmax.",
                 "A class label, or a probability for every class.", ("cnn",)),
    Architecture("Autoencoder (plain, denoising, variational)", "autoencoders", "67",
                 "Compresses data and reconstructs it; a denoising one cleans inputs, a variational one generates.",
                 "Encoder → latent representation → decoder (fully connected or convolutional).",
                 "The whole input reconstructed (not a per-pixel class).", ("ae", "vae", "dae", "autoencoder")),
    Architecture("Fully convolutional network (FCN)", "fcn", "68",
                 "Dense prediction such as semantic segmentation.",
                 "Convolutions only (no fully connected layer), downsampling then upsampling.",
                 "A map of predictions: one class per pixel.", ("fcn",)),
    Architecture("RNN / LSTM / GRU", "recurrent", "69",
                 "Sequences such as text, time series or speech; LSTMs keep long-term dependencies.",
                 "A loop that carries a hidden state across time steps; LSTMs add input, forget and output gates.",
                 "A prediction per step (the next word) or one after the whole sequence (a sentiment).",
                 ("rnn", "lstm", "gru", "recurrent")),
    Architecture("Transformer", "transformer", "70",
                 "Sequences without recurrence: global dependencies through attention.",
                 "Self-attention between all tokens + positional encoding; encoder-only (BERT) or decoder-only (GPT).",
                 "A sequence (a translation) or a single value (a class score).", ("transformer",)),
    Architecture("GAN", "gan", "71",
                 "Generation: realistic new data from noise.",
                 "A generator against a discriminator that tells real from fake, in a min-max game.",
                 "Synthetic data, ideally indistinguishable from real data.", ("gan",)),
)


def architectures() -> pd.DataFrame:
    """One row per architecture: name, slide, purpose, architecture, output, chapter key."""
    return pd.DataFrame([{"architecture": a.name, "slide": a.slide, "purpose": a.purpose,
                          "layers": a.architecture, "output": a.output, "chapter": a.key} for a in ARCHITECTURES])


def architecture(key: str) -> Architecture:
    """The architecture of the chapter `key` ("cnn", ..., "gan")."""
    for a in ARCHITECTURES:
        if a.key == key:
            return a
    keys = ", ".join(a.key for a in ARCHITECTURES)
    raise ValueError(f"No zoo architecture for the chapter {key!r}: choose one of {keys}.")


def owner(asset: str) -> str:
    """The architecture a weight file belongs to, from its name ("cnn_digits" -> "CNN")."""
    for a in ARCHITECTURES:
        if asset.lower().startswith(a.prefixes):
            return a.name
    return "other"


def _scores(meta: dict) -> str:
    """The measured numbers a maker stored in its meta, e.g. "val_accuracy 0.97", in one line."""
    found: list[str] = []
    said = ""  # the score whose name the last per-model entry gave ("val accuracy" of "val_accuracy_LSTM")
    for key, value in meta.items():
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (is_number and any(w in key.lower() for w in SCORE_WORDS)):
            continue
        score, _, model = key.partition("_accuracy_") if "_accuracy_" in key else (key, "", "")
        if model:  # one score per model ("val_accuracy_LSTM"): the score's name once, then each model's value
            name = f"{score.replace('_', ' ')} accuracy"
            found.append(f"{'' if name == said else name + ': '}{model} {value:.3g}")
            said = name
        else:
            found.append(f"{SCORE_NAMES.get(key, key.replace('_', ' '))} {value:.3g}")
            said = ""
    return ", ".join(found)


def shipped(folder: Path = weights.ASSETS) -> pd.DataFrame:
    """Every weight file in `folder`: asset, architecture, parameters, size (KiB), task, measured, seconds to make.

    Read once per folder content (names, sizes and times of its files): a rerun costs a directory listing.
    """
    files = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.pt")))
    return _shipped(folder, files).copy()


@functools.lru_cache(maxsize=4)
def _shipped(folder: Path, files: tuple[tuple[str, int, int], ...]) -> pd.DataFrame:
    rows = []
    for name, _, _ in files:
        path = folder / name
        state, meta = weights.read(path)
        params = sum(t.numel() for name, t in state.items() if not name.endswith(BUFFERS))
        rows.append({
            "asset": path.stem, "architecture": owner(path.stem), "parameters": int(params),
            "size (KiB)": round(path.stat().st_size / 1024, 1), "task": str(meta.get("task", "")),
            "measured": _scores(meta), "seconds to make": meta.get("seconds_to_make"),
        })
    columns = ["asset", "architecture", "parameters", "size (KiB)", "task", "measured", "seconds to make"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class ShippedFacts:
    """What the overview's notice says of the shipped models (a `shipped()` table that is not empty)."""

    n_models: int
    largest_assets: tuple[str, ...]  # every model with the most weights (several when they tie), by name
    largest_architectures: tuple[str, ...]  # their architectures, each once, in the order of largest_assets
    largest_parameters: int  # the weights of each of them
    n_largest: int  # len(largest_assets)
    smallest_assets: tuple[str, ...]  # the same for the fewest weights
    smallest_architectures: tuple[str, ...]
    smallest_parameters: int
    n_smallest: int
    total_mib: float  # all weight files together, MiB (1024 KiB)
    n_architectures: int  # the cards of the page
    architectures_with_models: int  # cards whose page opens with at least one shipped model


def _tied(models: pd.DataFrame, parameters: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The assets with exactly `parameters` weights (sorted by name) and their architectures, each named once."""
    rows = models[models.parameters == parameters].sort_values("asset")
    return tuple(map(str, rows.asset)), tuple(dict.fromkeys(map(str, rows.architecture)))


def shipped_facts(models: pd.DataFrame) -> ShippedFacts:
    """The largest and smallest shipped models (all of them where several tie, as the four Transformers do), the
    files' total size, and how many cards have a model behind them."""
    if models.empty:
        raise ValueError("No shipped models to describe: run `python -m core.zoo` first.")
    most, fewest = int(models.parameters.max()), int(models.parameters.min())
    (big, big_arch), (small, small_arch) = _tied(models, most), _tied(models, fewest)
    return ShippedFacts(
        n_models=len(models), largest_assets=big, largest_architectures=big_arch, largest_parameters=most,
        n_largest=len(big), smallest_assets=small, smallest_architectures=small_arch, smallest_parameters=fewest,
        n_smallest=len(small),
        total_mib=float(models["size (KiB)"].sum() / 1024),
        n_architectures=len(ARCHITECTURES),
        architectures_with_models=len(set(models.architecture) & {a.name for a in ARCHITECTURES}),
    )
