"""Experiments on the zoo's trained CNN: its layers with shapes, its filters, one image's feature maps and softmax,
its mistakes.

Every experiment is handed the `core.zoo.cnn.Trained` its config's `source` names and only runs
inference on it (it never fetches or trains a model):

- `inspect(Inspect(source), trained)`: the layer table of a real forward pass, the learned filters,
  the confusion matrix and misclassified validation digits, and both networks on shifted digits.
- `look(Look(source, image), trained)`: one validation digit through the CNN, layer by layer
  (every conv, ReLU and pooling output as pictures), and both networks' softmax probabilities.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core import images
from core.progress import Progress
from core.zoo import shapes, source
from core.zoo.cnn import NAMES, Trained, digits, with_softmax
from core.zoo.source import Inspect, Source

MAP_PX = 48  # every feature map is drawn this many pixels wide, whatever its size (8, 4 or 2)
MAP_COLUMNS = 4
FILTER_PX = (64, 32)  # conv1's kernels (the ones that read the digit itself) drawn larger than conv2's
MAX_WRONG = 24  # misclassified digits shown
SHIFTS = (0, 1, 2)  # pixels, for the translation test


@dataclass(frozen=True)
class LayerFacts:
    """What section 1 says of the CNN's layers (from a real forward pass and the conv kernels' shapes)."""

    conv_weights: int  # weights and biases of the two convolutions
    total_weights: int
    conv_share: float
    conv1_inputs: int  # maps a conv1 filter reads (the digit: 1)
    conv1_filter_weights: int  # conv1_inputs x 3 x 3: one filter's weights, shared by every position
    conv2_inputs: int  # maps a conv2 filter reads (conv1's filters)
    conv2_filter_weights: int
    kernel_side: int
    side_in: int  # the digit's side, then the side after each pooling
    side_pool1: int
    side_pool2: int
    flat_inputs: int  # numbers the fully connected part reads
    fc_weights: int
    softmax_weights: int
    n_scores: int  # outputs of the last layer (classes)


@dataclass(frozen=True)
class MistakeFacts:
    """What section 4 says of the CNN's mistakes on the validation digits."""

    accuracy_on_val: float
    n_val_digits: int
    n_mistakes: int
    n_mistakes_shown: int
    common_pairs: tuple[tuple[int, int], ...]  # every (actual, predicted) confusion that happens most often ...
    common_count: int  # ... and how often each happens (0: no mistake; 1: no confusion happens twice)
    top_wrong_confidence: float | None  # the probability the most confident mistake gave its wrong answer


@dataclass(frozen=True)
class ShiftFacts:
    """What section 5 says of both networks on digits moved by SHIFTS pixels (validation accuracy)."""

    unshifted_cnn: float
    unshifted_mlp: float
    shift1_cnn: float
    shift1_mlp: float
    shift2_cnn: float
    shift2_mlp: float


@dataclass
class InspectResult:
    layers: pd.DataFrame  # core.zoo.shapes.trace of the CNN + softmax on one validation digit
    filters: list[np.ndarray]  # per conv layer: a column per filter, a row per input map (conv1: one row)
    filter_captions: list[str]
    confusion: pd.DataFrame  # actual, predicted, count (the CNN on the validation digits)
    wrong: pd.DataFrame  # image (validation index), actual, predicted, confidence
    wrong_pictures: list[np.ndarray]
    accuracy: dict[str, float]  # "CNN" / "MLP" -> validation accuracy
    shifted: pd.DataFrame  # model, shift (pixels), validation accuracy: digits moved in 4 directions
    weights_in: dict[str, int]  # "convolution" / "fully connected" -> how many of the CNN's weights sit there
    flat: int  # numbers the fully connected part reads (the last pooling's output, flattened)
    n_wrong: int
    worst: tuple[int, int, int] | None  # the most frequent mistake: actual, predicted, count (None: no mistake)
    wrong_captions: list[str]  # "#454: 9 → 8 (91%)" per shown mistake
    layer_facts: LayerFacts
    mistake_facts: MistakeFacts
    shift_facts: ShiftFacts


def _layer_facts(cnn: nn.Module, layers: pd.DataFrame) -> LayerFacts:
    convs = [m for m in cnn.modules() if isinstance(m, nn.Conv2d)]
    sides = [int(shape[-1]) for shape in layers[layers.kind == "MaxPool2d"]["output shape"]]
    parts = {kind: int(layers[layers.kind == kind].parameters.sum()) for kind in ("Conv2d", "Linear", "Softmax")}
    total = int(layers.parameters.sum())
    return LayerFacts(
        conv_weights=parts["Conv2d"], total_weights=total, conv_share=parts["Conv2d"] / total,
        conv1_inputs=convs[0].in_channels, conv1_filter_weights=convs[0].weight[0].numel(),
        conv2_inputs=convs[1].in_channels, conv2_filter_weights=convs[1].weight[0].numel(),
        kernel_side=convs[0].kernel_size[0], side_in=int(layers.attrs["input shape"][-1]),
        side_pool1=sides[0], side_pool2=sides[1],
        flat_inputs=int(layers[layers.kind == "Flatten"]["output shape"].iloc[0][0]),
        fc_weights=parts["Linear"], softmax_weights=parts["Softmax"], n_scores=int(layers["output shape"].iloc[-1][0]),
    )


def _mistake_facts(off: pd.DataFrame, n: int, wrong: pd.DataFrame) -> MistakeFacts:
    """`off`: the confusion matrix without its diagonal (actual, predicted, count); `wrong`: the mistakes shown."""
    n_wrong, most = int(off["count"].sum()), int(off["count"].max())
    common = off[off["count"] == most] if most else off.iloc[:0]
    return MistakeFacts(
        accuracy_on_val=1 - n_wrong / n, n_val_digits=n, n_mistakes=n_wrong, n_mistakes_shown=len(wrong),
        common_pairs=tuple((int(a), int(b)) for a, b in zip(common.actual, common.predicted)), common_count=most,
        top_wrong_confidence=float(wrong.confidence.iloc[0]) if len(wrong) else None,
    )


def _shift_facts(shifted: pd.DataFrame) -> ShiftFacts:
    acc = shifted.set_index(["model", "shift (pixels)"])["validation accuracy"]
    return ShiftFacts(*(float(acc[m, s]) for s in SHIFTS for m in ("CNN", "MLP")))


def _filters(cnn: nn.Module) -> tuple[list[np.ndarray], list[str]]:
    """The learned 3 x 3 kernels as signed-colour pictures (one colour scale per layer: blue < 0 < orange)."""
    pictures, captions = [], []
    convs = [m for m in cnn.modules() if isinstance(m, nn.Conv2d)]
    for i, conv in enumerate(convs, start=1):
        w = conv.weight.detach().numpy()  # (out, in, 3, 3)
        scale, px = float(np.abs(w).max()), FILTER_PX[min(i, len(FILTER_PX)) - 1]
        # A column per filter, a row per input map it reads: conv1 (one input, the digit) is a single row.
        tiles = [images.upscale(images.signed(w[o, c], scale), px)
                 for c in range(w.shape[1]) for o in range(w.shape[0])]
        pictures.append(images.montage(tiles, cols=w.shape[0], pad=3, fill=160))
        layout = "" if w.shape[1] == 1 else f"; a column per filter, a row per conv{i - 1} map it reads"
        captions.append(f"conv{i}: {w.shape[0]} filters of {w.shape[1]} × 3 × 3{layout} "
                        f"(largest |weight| {scale:.2f})")
    return pictures, captions


def _shift(x: Tensor, dx: int, dy: int) -> Tensor:
    """Images (N, 1, H, W) moved by (dx, dy) pixels, the uncovered border filled with 0 (background)."""
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    rows, cols = slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0))
    out[..., rows, cols] = x[..., max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)]
    return out


@torch.no_grad()
def _accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    return float((model(x).argmax(dim=1) == y).float().mean())


def _shifted(cnn: nn.Module, mlp: nn.Module, x: Tensor, y: Tensor) -> pd.DataFrame:
    """Validation accuracy with every digit moved 0, 1 or 2 pixels right, left, up and down (averaged)."""
    rows = []
    for s in SHIFTS:
        moved = torch.cat([_shift(x, dx, dy) for dx, dy in ((s, 0), (-s, 0), (0, s), (0, -s))]) if s else x
        target = y.repeat(len(moved) // len(y))
        for name, model, inputs in (("CNN", cnn, moved), ("MLP", mlp, moved.flatten(1))):
            rows.append({"model": name, "shift (pixels)": s, "validation accuracy": _accuracy(model, inputs, target)})
    return pd.DataFrame(rows)


def inspect(cfg: Inspect, trained: Trained, on_progress: Progress[InspectResult] | None = None) -> InspectResult:
    """Everything about the CNN that does not depend on a chosen image (`trained`: the model `cfg.source` names)."""
    source.check(cfg.source, trained)
    cnn, mlp = trained.networks()
    ds = digits()
    x, y = ds.x_val, ds.y_val  # (N, 1, 8, 8), (N,)
    with torch.no_grad():
        p = torch.softmax(cnn(x), dim=1)  # (N, 10)
    confidence, predicted = p.max(dim=1)
    pairs = pd.DataFrame({"actual": y.numpy(), "predicted": predicted.numpy()})
    grid = pd.MultiIndex.from_product([range(10), range(10)], names=["actual", "predicted"])
    confusion = pairs.value_counts().reindex(grid, fill_value=0).rename("count").reset_index()
    wrong_idx = torch.nonzero(predicted != y).flatten()
    order = wrong_idx[confidence[wrong_idx].argsort(descending=True)][:MAX_WRONG]  # the most confident mistakes first
    wrong = pd.DataFrame({"image": order.numpy(), "actual": y[order].numpy(), "predicted": predicted[order].numpy(),
                          "confidence": confidence[order].numpy().round(3)})
    pictures = [images.upscale(images.gray(x[i, 0].numpy(), 0, 1), 64) for i in order.tolist()]
    filters, captions = _filters(cnn)
    layers = shapes.trace(with_softmax(cnn), x[:1])
    off = confusion[confusion.actual != confusion.predicted]
    worst = off.loc[off["count"].idxmax()]
    shifted = _shifted(cnn, mlp, x, y)
    return InspectResult(
        layers=layers, filters=filters, filter_captions=captions, confusion=confusion, wrong=wrong,
        wrong_pictures=pictures,
        accuracy={"CNN": float((predicted == y).float().mean()), "MLP": _accuracy(mlp, x.flatten(1), y)},
        shifted=shifted,
        weights_in={part: int(layers[layers.kind == kind].parameters.sum())
                    for part, kind in (("convolution", "Conv2d"), ("fully connected", "Linear"))},
        flat=int(layers[layers.kind == "Flatten"]["output shape"].iloc[0][0]),
        n_wrong=int(off["count"].sum()),
        worst=(int(worst.actual), int(worst.predicted), int(worst["count"])) if worst["count"] else None,
        wrong_captions=[f"#{r.image}: {r.actual} → {r.predicted} ({r.confidence:.0%})" for r in wrong.itertuples()],
        layer_facts=_layer_facts(cnn, layers), mistake_facts=_mistake_facts(off, len(y), wrong),
        shift_facts=_shift_facts(shifted),
    )


@dataclass(frozen=True)
class Look:
    source: Source = Source("cnn")
    image: int = 0  # index into the validation digits
    code_version: int = 3  # 3: the model comes as an input; LookResult

    def __post_init__(self) -> None:
        n = len(digits().x_val)
        if not 0 <= self.image < n:
            raise ValueError(f"Pick a validation image between 0 and {n - 1}.")


@dataclass(frozen=True)
class LookFacts:
    """What section 3 says of one validation digit through both networks."""

    look_image: int
    look_actual: int
    cnn_says: int
    cnn_says_probability: float
    mlp_says: int
    mlp_says_probability: float
    relu_zeros_block1: float  # share of the first ReLU's outputs that are 0
    relu_zeros_block2: float
    pool_window: int  # max-pooling keeps the largest of each pool_window x pool_window block
    final_maps: int  # what the feature extractor hands on: final_maps maps of final_side x final_side
    final_side: int


@dataclass
class LookResult:
    digit: np.ndarray  # the chosen image, enlarged (uint8)
    actual: int
    predicted: dict[str, int]  # "CNN" / "MLP" -> predicted digit
    probabilities: pd.DataFrame  # digit (str), model, probability
    maps: list[np.ndarray]  # one picture per layer of cnn.features: that layer's output maps side by side
    map_captions: list[str]
    maps_table: pd.DataFrame  # layer, kind, maps, size, share of zeros, largest value
    relu_zeros: list[float]  # share of each ReLU's output that is 0 (one per conv block)
    final: str  # what the feature extractor hands on, e.g. "16 maps of 2 × 2"
    facts: LookFacts


def _draw(kind: str, out: np.ndarray) -> list[np.ndarray]:
    """One layer's maps (C, H, W) as pictures: signed colours for a convolution, grey (0 black) after ReLU / pooling."""
    if kind == "Conv2d":
        scale = float(np.abs(out).max()) or 1.0
        return [images.upscale(images.signed(m, scale), MAP_PX) for m in out]
    hi = float(out.max()) or 1.0
    return [images.upscale(images.gray(m, 0, hi), MAP_PX) for m in out]


CAPTIONS = {"Conv2d": "convolution: blue < 0 < orange", "ReLU": "ReLU: negatives set to 0 (black)",
            "MaxPool2d": "max-pooling 2 × 2: the largest of each 4 values"}


def look(cfg: Look, trained: Trained, on_progress: Progress[LookResult] | None = None) -> LookResult:
    """One validation digit through the CNN: every feature map, and both networks' probabilities."""
    source.check(cfg.source, trained)
    cnn, mlp = trained.networks()
    ds = digits()
    x, actual = ds.x_val[cfg.image : cfg.image + 1], int(ds.y_val[cfg.image])  # (1, 1, 8, 8)
    maps, captions, rows = [], [], []
    h = x
    with torch.no_grad():
        for i, layer in enumerate(cnn.features):
            h = layer(h)  # (1, C, H, W)
            kind, out = type(layer).__name__, h[0].numpy()
            c, size = out.shape[0], out.shape[-1]
            maps.append(images.montage(_draw(kind, out), cols=min(c, MAP_COLUMNS), pad=3, fill=160))
            captions.append(f"{i + 1}. {CAPTIONS[kind]} · {c} maps of {size} × {size}")
            rows.append({"layer": i + 1, "kind": kind, "maps": c, "size": f"{size} × {size}",
                         "share of zeros": round(float((out == 0).mean()), 3),
                         "largest value": round(float(out.max()), 3)})
        probs = {"CNN": torch.softmax(cnn(x), dim=1)[0], "MLP": torch.softmax(mlp(x.flatten(1)), dim=1)[0]}
    probabilities = pd.DataFrame([{"digit": str(d), "model": m, "probability": float(probs[m][d])}
                                  for m in NAMES for d in range(10)])
    predicted = {m: int(probs[m].argmax()) for m in NAMES}
    zeros = [r["share of zeros"] for r in rows if r["kind"] == "ReLU"]
    pool = next(layer for layer in cnn.features if isinstance(layer, nn.MaxPool2d)).kernel_size
    pool = pool if isinstance(pool, int) else pool[0]  # a square window: its side
    facts = LookFacts(
        look_image=cfg.image, look_actual=actual, cnn_says=predicted["CNN"],
        cnn_says_probability=float(probs["CNN"].max()), mlp_says=predicted["MLP"],
        mlp_says_probability=float(probs["MLP"].max()), relu_zeros_block1=zeros[0], relu_zeros_block2=zeros[1],
        pool_window=int(pool), final_maps=int(rows[-1]["maps"]), final_side=int(h.shape[-1]),
    )
    return LookResult(
        digit=images.upscale(images.gray(x[0, 0].numpy(), 0, 1), 160), actual=actual,
        predicted=predicted, probabilities=probabilities,
        maps=maps, map_captions=captions, maps_table=pd.DataFrame(rows), relu_zeros=zeros,
        final=f"{rows[-1]['maps']} maps of {rows[-1]['size']}", facts=facts,
    )
