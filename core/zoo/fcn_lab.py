"""Experiments on the zoo's trained FCN (core/zoo/fcn.py): its layers, its IoU on the held-out scenes, one scene.

Every experiment is handed the `core.zoo.fcn.Trained` its config's `source` names and only runs it
forward (it never fetches or trains a network):

- `inspect(Inspect(source), trained)`: the layer table of a real forward pass, per-class IoU on the
  held-out scenes and where the mistakes lie, and what an all-background answer would score.
- `look(Look(source, scene), trained)`: one scene's input, true mask, predicted mask and mistakes,
  one class's probability per pixel, and the same probabilities averaged into one answer for the
  whole scene (what a single-label classifier would give).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import images
from core.progress import Progress
from core.zoo import scenes, shapes, source, weights
from core.zoo.fcn import N_VAL, UPSAMPLING, SceneFCN, Trained, held_out, predict, shipped_meta
from core.zoo.source import Inspect, Source

PIXELS = 96  # each picture is drawn this many pixels wide
MISTAKE = (255, 0, 255)  # magenta: far from every mask colour (black, blue, orange, green)


@dataclass(frozen=True)
class FCNLayerFacts:
    """What section 1 says of the network's layers (from a real forward pass)."""

    side_in: int  # the scene's side, after each pooling, and at the output
    side_pool1: int
    side_pool2: int
    side_out: int
    channels_first: int  # channels of the first and the last encoder block
    channels_encoder_end: int
    decoder_weights: int
    fcn_weights: int
    upsampling_learned: bool  # the upsampling layers themselves have weights (transposed convolutions)
    fully_connected_layers: int
    class_scores: int  # per pixel


@dataclass(frozen=True)
class ScoreFacts:
    """What section 3 says of the held-out scenes."""

    background_share: float  # of all held-out pixels
    all_background_pixel_accuracy: float  # a network answering "background" everywhere, scored as this one
    all_background_best_shape_iou: float  # ... and its best IoU on a shape class
    hardest_shape: str
    hardest_shape_iou: float
    mean_shape_iou: float
    fcn_pixel_accuracy: float
    mistakes_on_outline_share: float  # share of the wrong pixels that lie on an outline
    outline_pixel_share: float  # share of all pixels that lie on an outline
    other_upsampling: str
    other_shipped_mean_iou: float  # the shipped network with the other decoder


def _layer_facts(net: SceneFCN, layers: pd.DataFrame) -> FCNLayerFacts:
    pools = [int(shape[-1]) for shape in layers[layers.kind == "MaxPool2d"]["output shape"]]
    encoder = layers[layers.layer.str.startswith("encoder.") & (layers.kind == "Conv2d")]["output shape"].tolist()
    ups = layers[layers.kind.isin(["ConvTranspose2d", "Upsample"])]
    return FCNLayerFacts(
        side_in=int(layers.attrs["input shape"][-1]), side_pool1=pools[0], side_pool2=pools[1],
        side_out=int(layers["output shape"].iloc[-1][-1]), channels_first=int(encoder[0][0]),
        channels_encoder_end=int(encoder[-1][0]), decoder_weights=weights.count(net.decoder),
        fcn_weights=weights.count(net),
        upsampling_learned=bool(ups.parameters.sum() > 0), fully_connected_layers=int((layers.kind == "Linear").sum()),
        class_scores=int(layers["output shape"].iloc[-1][0]),
    )


@dataclass
class InspectResult:
    layers: pd.DataFrame  # core.zoo.shapes.trace of the network
    iou: pd.DataFrame  # class, IoU, share of pixels (of the held-out pixels, that class's share)
    mean_iou: float  # over the three shape classes
    pixel_accuracy: float
    parameters: int
    decoder_parameters: int  # of the upsampling half: 0 would mean nothing is learned there
    outputs_per_image: int  # H x W x classes numbers, against a CNN's 10
    outline_share: float  # share of held-out pixels that lie on an outline (next to another class)
    mistakes_on_outlines: float  # share of the wrong pixels that lie on an outline
    layer_facts: FCNLayerFacts
    score_facts: ScoreFacts


def inspect(cfg: Inspect, trained: Trained, on_progress: Progress[InspectResult] | None = None) -> InspectResult:
    """The network's layers and its scores on the held-out scenes (`trained`: the FCN `cfg.source` names)."""
    source.check(cfg.source, trained)
    net = trained.network()
    x_val, y_val = held_out()
    p = predict(net, x_val).argmax(-1)  # (N, H, W)
    truth = y_val.numpy()
    per_class = scenes.iou(p, truth)
    share = np.bincount(truth.ravel(), minlength=len(scenes.CLASSES)) / truth.size
    table = pd.DataFrame({"class": scenes.CLASSES, "IoU": per_class, "share of pixels": share})
    layers = shapes.trace(net, x_val[:1])
    outline, wrong = scenes.edges(truth), p != truth
    mean_iou, accuracy = float(np.nanmean(per_class[1:])), float(1 - wrong.mean())
    on_outlines = float((wrong & outline).sum() / max(wrong.sum(), 1))
    lazy = np.zeros_like(truth)  # the network that answers "background" everywhere
    hardest = int(np.nanargmin(per_class[1:])) + 1
    other = next(u for u in UPSAMPLING if u != trained.recipe.upsampling)
    scores = ScoreFacts(
        background_share=float(share[0]), all_background_pixel_accuracy=float((lazy == truth).mean()),
        all_background_best_shape_iou=float(np.nanmax(scenes.iou(lazy, truth)[1:])),
        hardest_shape=scenes.CLASSES[hardest], hardest_shape_iou=float(per_class[hardest]), mean_shape_iou=mean_iou,
        fcn_pixel_accuracy=accuracy, mistakes_on_outline_share=on_outlines, outline_pixel_share=float(outline.mean()),
        other_upsampling=other, other_shipped_mean_iou=float(shipped_meta(other)["val_mean_iou"]),
    )
    return InspectResult(layers, table, mean_iou, accuracy, weights.count(net), weights.count(net.decoder),
                      int(np.prod(layers["output shape"].iloc[-1])), float(outline.mean()), on_outlines,
                      _layer_facts(net, layers), scores)


@functools.lru_cache(maxsize=1)
def busiest_scene() -> int:
    """The first held-out scene that holds all three shapes: the page's default, where every class shows."""
    masks = held_out()[1].numpy()
    return next((i for i, m in enumerate(masks) if len(np.unique(m)) == len(scenes.CLASSES)), 0)


@dataclass(frozen=True)
class Look:
    """One held-out scene through one FCN."""

    source: Source = Source("fcn")
    scene: int = 0
    code_version: int = 3  # 3: the model comes as an input; LookResult

    def __post_init__(self) -> None:
        if not 0 <= self.scene < N_VAL:
            raise ValueError(f"Pick a held-out scene between 0 and {N_VAL - 1}.")


@dataclass(frozen=True)
class SceneFacts:
    """What section 2 says of one held-out scene."""

    scene_index: int
    scene_pixels: int
    scene_wrong: int  # pixels with the wrong class
    scene_wrong_on_outlines: int
    scene_outline_pixels: int
    scene_outline_share: float
    scene_iou: tuple[tuple[str, float], ...]  # (class, IoU) for the classes in the scene or in its prediction


@dataclass(frozen=True)
class MapFacts:
    """What section 4 says of one shape class's probability map on one scene."""

    map_class: str
    map_above_half: int  # pixels where P(class) > 0.5
    map_true_pixels: int  # the class's pixels in the true mask
    map_inside_true: int  # pixels above 0.5 that lie in the true mask
    map_overlap_iou: float  # |above 0.5 ∩ true| / |above 0.5 ∪ true| (nan if both are empty)
    map_found: bool  # map_overlap_iou >= 0.5: the map finds the class where it is


@dataclass(frozen=True)
class OneLabelFacts:
    """What section 4 says of the scene squeezed into one answer (the per-pixel probabilities averaged)."""

    one_label_class: str
    one_label_probability: float
    shapes_present: tuple[str, ...]


@dataclass
class LookResult:
    pictures: list[np.ndarray]  # input, true mask, predicted mask, mistakes
    captions: list[str]
    iou: pd.DataFrame  # class, IoU on this scene
    wrong: int  # pixels with the wrong class
    wrong_on_outlines: int  # of those, the ones next to a pixel of another true class
    outline_pixels: int
    heat: pd.DataFrame  # x, y, true class, predicted class, P(<class>) for every class: one row per pixel
    one_label: pd.DataFrame  # class, probability (the per-pixel probabilities averaged over the scene: sums to 1)
    above_half: dict[str, int]  # class -> pixels where its probability is above 0.5
    true_pixels: dict[str, int]  # class -> its pixels in the true mask
    classes_present: tuple[str, ...]  # the shape classes in the true mask
    scene_facts: SceneFacts
    map_facts: dict[str, MapFacts]  # shape class -> its map's facts
    one_label_facts: OneLabelFacts


def map_facts(klass: str, prob: np.ndarray, truth: np.ndarray) -> MapFacts:
    """One class's probability map (H, W) against the true mask (H, W, class ids)."""
    above, true = prob > 0.5, truth == scenes.CLASSES.index(klass)
    inside, union = int((above & true).sum()), int((above | true).sum())
    overlap = inside / union if union else float("nan")
    return MapFacts(klass, int(above.sum()), int(true.sum()), inside, overlap, bool(union and overlap >= 0.5))


def _mistakes(x: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: the scene dimmed to half brightness, its wrongly labelled pixels in magenta."""
    rgb = np.repeat(images.gray(x, 0, 1)[..., None] // 2, 3, axis=-1)
    rgb[wrong] = MISTAKE
    return rgb


def look(cfg: Look, trained: Trained, on_progress: Progress[LookResult] | None = None) -> LookResult:
    """One held-out scene through the FCN: its masks, its mistakes and every class's probability per pixel."""
    source.check(cfg.source, trained)
    net = trained.network()
    x_val, y_val = held_out()
    x, truth = x_val[cfg.scene : cfg.scene + 1], y_val[cfg.scene].numpy()  # (1, 1, H, W), (H, W)
    prob = predict(net, x)[0]  # (H, W, C)
    pred = prob.argmax(-1)  # (H, W)
    wrong, outline = pred != truth, scenes.edges(truth)
    pictures = [images.gray(x[0, 0].numpy(), 0, 1), images.classes(truth), images.classes(pred),
                _mistakes(x[0, 0].numpy(), wrong)]
    pictures = [images.upscale(p, PIXELS * 3) for p in pictures]
    captions = ["input scene", "true mask (the label of every pixel)", "predicted mask (argmax per pixel)",
                "wrong pixels in magenta, on the dimmed scene"]
    rows, cols = np.indices(truth.shape)
    names = np.array(scenes.CLASSES)
    heat = pd.DataFrame({"x": cols.ravel(), "y": rows.ravel(), "true class": names[truth.ravel()],
                         "predicted class": names[pred.ravel()],
                         **{f"P({n})": prob[..., c].ravel().round(4) for c, n in enumerate(scenes.CLASSES)}})
    one = pd.DataFrame({"class": scenes.CLASSES, "probability": prob.reshape(-1, prob.shape[-1]).mean(0)})
    per_class = scenes.iou(pred, truth)
    present = tuple(n for c, n in enumerate(scenes.CLASSES) if c and (truth == c).any())
    scene = SceneFacts(cfg.scene, int(truth.size), int(wrong.sum()), int((wrong & outline).sum()), int(outline.sum()),
                       float(outline.mean()),
                       tuple((n, float(v)) for n, v in zip(scenes.CLASSES, per_class) if not np.isnan(v)))
    top = int(one.probability.to_numpy().argmax())
    return LookResult(pictures, captions, pd.DataFrame({"class": scenes.CLASSES, "IoU": per_class}),
                int(wrong.sum()), int((wrong & outline).sum()), int(outline.sum()), heat, one,
                {n: int((prob[..., c] > 0.5).sum()) for c, n in enumerate(scenes.CLASSES)},
                {n: int((truth == c).sum()) for c, n in enumerate(scenes.CLASSES)}, present, scene,
                {n: map_facts(n, prob[..., c], truth) for c, n in enumerate(scenes.CLASSES) if c},
                OneLabelFacts(scenes.CLASSES[top], float(one.probability.iloc[top]), present))
