"""The fully convolutional network of the zoo (slide 68): a class for every pixel of a scene.

- `SceneFCN`: an encoder (convolutions and 2 x 2 max-pooling: 32 -> 16 -> 8 pixels a side) and a
  decoder that upsamples back to 32 (transposed convolutions, or bilinear interpolation followed by
  a convolution), then a 1 x 1 convolution that gives 4 class scores per pixel. No fully connected
  layer anywhere, so the output keeps the image's layout: (N, H, W, classes), classes last, which
  is how `core.training` reads a dense output (cross-entropy and accuracy per pixel).
- `Recipe` / `train(recipe)`: through the one trainer; `trained(Source(...))` gives the shipped
  weights of either decoder (`Source(upsampling)`) or a student's run (`Source(upsampling, recipe)`).
- `evaluate(source)` and `look(Look(...))`: per-class IoU on the held-out scenes and where the
  mistakes lie; one scene's input, true mask, predicted mask and mistakes, one class's probability
  per pixel, and the same probabilities averaged into one answer for the whole scene (what a
  single-label classifier would give).
- `SHIPPED`: the makers of `assets/zoo/fcn_scenes.pt` (transposed convolutions) and
  `assets/zoo/fcn_scenes_bilinear.pt` (`python -m core.zoo --only fcn_scenes --only fcn_scenes_bilinear`).
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from core import images
from core.data import Dataset
from core.training import Snapshot, TrainConfig, fit
from core.zoo import scenes, shapes, weights

UPSAMPLING = ("transposed convolution", "bilinear interpolation")
MAX_EPOCHS = 20  # the shipped budget: under a minute on a free core with either decoder
TRAIN_SIZES = (300, 600, 1000)  # training scenes a student may pick
N_VAL = 200  # held-out scenes (their own seed): the IoU is measured on these
ASSETS = {UPSAMPLING[0]: "fcn_scenes", UPSAMPLING[1]: "fcn_scenes_bilinear"}  # the shipped FCN of each decoder
PIXELS = 96  # each picture is drawn this many pixels wide
PREDICT_CHUNK = 25  # scenes per forward pass when scoring: 200 at once held ~60-90 MB of activations, 25 hold ~10
MISTAKE = (255, 0, 255)  # magenta: far from every mask colour (black, blue, orange, green)


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
    code_version: int = 1

    def __post_init__(self) -> None:
        if self.upsampling not in UPSAMPLING:
            raise ValueError(f"Upsampling is one of: {', '.join(UPSAMPLING)}.")
        if self.width not in (8, 16, 24):
            raise ValueError("The first block has 8, 16 or 24 channels.")
        if not 50 <= self.n_train <= max(TRAIN_SIZES):
            raise ValueError(f"Train on between 50 and {max(TRAIN_SIZES):,} scenes.")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"Train for between 1 and {MAX_EPOCHS} epochs.")
        if not 1e-4 <= self.lr <= 0.1:
            raise ValueError("The learning rate must be between 0.0001 and 0.1 (Adam).")
        if not 0 <= self.seed < 2**31:
            raise ValueError("The seed must be a whole number between 0 and 2,147,483,647.")


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
        self.encoder = nn.Sequential(*_conv(1, w), nn.MaxPool2d(2), *_conv(w, 2 * w), nn.MaxPool2d(2), *_conv(2 * w, 2 * w))
        if recipe.upsampling == UPSAMPLING[0]:  # learned 2x upsampling: each input pixel paints a 2 x 2 patch
            ups = [nn.ConvTranspose2d(2 * w, w, 2, stride=2), nn.ReLU(), nn.ConvTranspose2d(w, w, 2, stride=2), nn.ReLU()]
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
                        m.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        return self.classify(self.decoder(self.encoder(x))).permute(0, 2, 3, 1)  # (N, H, W, C)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


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


def fit_fcn(recipe: Recipe, on_progress: Callable[[float, Snapshot], None] | None = None):
    train = TrainConfig(epochs=recipe.epochs, batch_size=recipe.batch_size, lr=recipe.lr, optimizer="adam", seed=recipe.seed)
    return fit(lambda g: SceneFCN(recipe, g), dataset(recipe.n_train), train, device=torch.device("cpu"),
               on_progress=on_progress, progress_every=1, name="FCN")


@dataclass(frozen=True)
class Source:
    """Which FCN a view shows: the shipped one with this decoder, or a student's recipe (with the same decoder)."""

    upsampling: str = UPSAMPLING[0]
    recipe: Recipe | None = None
    code_version: int = 2  # 2: evaluate() returns the notices' facts

    def __post_init__(self) -> None:
        if self.upsampling not in UPSAMPLING:
            raise ValueError(f"Upsampling is one of: {', '.join(UPSAMPLING)}.")
        if self.recipe is not None and self.recipe.upsampling != self.upsampling:
            raise ValueError("Your network's upsampling must be the one picked above it.")


@dataclass
class Trained:
    recipe: Recipe
    history: pd.DataFrame  # variant, epoch, split, metric (loss / accuracy = share of right pixels), value
    seconds: float  # a student's run: wall-clock; shipped: CPU seconds of its making (= alone on a free core)
    shipped: bool


def _meta(recipe: Recipe, result, model: nn.Module) -> dict:
    model = weights.into(model, {k: torch.as_tensor(v) for k, v in result.states["FCN"].items()})
    return {"task": f"segment {scenes.SIZE} x {scenes.SIZE} synthetic scenes: {', '.join(scenes.CLASSES)}",
            "recipe": {k: v for k, v in vars(recipe).items()}, "parameters": n_params(model),
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


def train(recipe: Recipe, on_progress: Callable[[float, pd.DataFrame], None] | None = None) -> Trained:
    """Train a student's FCN (kept in memory for the views) and report its curves."""
    result = fit_fcn(recipe, None if on_progress is None else lambda f, snap: on_progress(f, snap.history))
    weights.remember(("fcn", recipe), {k: torch.as_tensor(v) for k, v in result.states["FCN"].items()})
    return Trained(recipe, result.history, result.seconds, shipped=False)


def trained(source: Source, on_progress: Callable[[float, pd.DataFrame], None] | None = None) -> Trained:
    if source.recipe is None:
        meta = shipped_meta(source.upsampling)
        seconds = meta.get("train_cpu_seconds", meta["train_seconds"])
        return Trained(Recipe(**meta["recipe"]), pd.DataFrame(meta["history"]), seconds, shipped=True)
    return train(source.recipe, on_progress)


def model(source: Source) -> SceneFCN:
    """The FCN a view shows, in eval mode: shipped, remembered, or trained again from the same seeded recipe."""
    if source.recipe is None:
        state, meta = weights.load(ASSETS[source.upsampling])
        return weights.into(SceneFCN(Recipe(**meta["recipe"])), state)
    state = weights.recall(("fcn", source.recipe))
    if state is None:
        train(source.recipe)
        state = weights.recall(("fcn", source.recipe))
    return weights.into(SceneFCN(source.recipe), state)


@torch.no_grad()
def _predict(model: nn.Module, x: Tensor) -> np.ndarray:
    """(N, H, W, C) class probabilities, PREDICT_CHUNK scenes at a time (eval mode: each scene on its own)."""
    model.eval()
    return torch.cat([torch.softmax(model(part), dim=-1) for part in x.split(PREDICT_CHUNK)]).numpy()


def _val_iou(model: nn.Module) -> np.ndarray:
    x_val, y_val = held_out()
    return scenes.iou(_predict(model, x_val).argmax(-1), y_val.numpy())


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


def _layer_facts(net: nn.Module, layers: pd.DataFrame) -> FCNLayerFacts:
    pools = [int(shape[-1]) for shape in layers[layers.kind == "MaxPool2d"]["output shape"]]
    encoder = layers[layers.layer.str.startswith("encoder.") & (layers.kind == "Conv2d")]["output shape"].tolist()
    ups = layers[layers.kind.isin(["ConvTranspose2d", "Upsample"])]
    return FCNLayerFacts(
        side_in=int(layers.attrs["input shape"][-1]), side_pool1=pools[0], side_pool2=pools[1],
        side_out=int(layers["output shape"].iloc[-1][-1]), channels_first=int(encoder[0][0]),
        channels_encoder_end=int(encoder[-1][0]), decoder_weights=n_params(net.decoder), fcn_weights=n_params(net),
        upsampling_learned=bool(ups.parameters.sum() > 0), fully_connected_layers=int((layers.kind == "Linear").sum()),
        class_scores=int(layers["output shape"].iloc[-1][0]),
    )


@dataclass
class Evaluation:
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


def evaluate(source: Source, on_progress: object = None) -> Evaluation:
    net = model(source)
    x_val, y_val = held_out()
    p = _predict(net, x_val).argmax(-1)  # (N, H, W)
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
    other = next(u for u in UPSAMPLING if u != source.upsampling)
    scores = ScoreFacts(
        background_share=float(share[0]), all_background_pixel_accuracy=float((lazy == truth).mean()),
        all_background_best_shape_iou=float(np.nanmax(scenes.iou(lazy, truth)[1:])),
        hardest_shape=scenes.CLASSES[hardest], hardest_shape_iou=float(per_class[hardest]), mean_shape_iou=mean_iou,
        fcn_pixel_accuracy=accuracy, mistakes_on_outline_share=on_outlines, outline_pixel_share=float(outline.mean()),
        other_upsampling=other, other_shipped_mean_iou=float(shipped_meta(other)["val_mean_iou"]),
    )
    return Evaluation(layers, table, mean_iou, accuracy, n_params(net), n_params(net.decoder),
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

    source: Source = Source()
    scene: int = 0
    code_version: int = 2  # 2: the notices' facts

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
class Seen:
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


def look(cfg: Look, on_progress: object = None) -> Seen:
    net = model(cfg.source)
    x_val, y_val = held_out()
    x, truth = x_val[cfg.scene : cfg.scene + 1], y_val[cfg.scene].numpy()  # (1, 1, H, W), (H, W)
    prob = _predict(net, x)[0]  # (H, W, C)
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
    return Seen(pictures, captions, pd.DataFrame({"class": scenes.CLASSES, "IoU": per_class}),
                int(wrong.sum()), int((wrong & outline).sum()), int(outline.sum()), heat, one,
                {n: int((prob[..., c] > 0.5).sum()) for c, n in enumerate(scenes.CLASSES)},
                {n: int((truth == c).sum()) for c, n in enumerate(scenes.CLASSES)}, present, scene,
                {n: map_facts(n, prob[..., c], truth) for c, n in enumerate(scenes.CLASSES) if c},
                OneLabelFacts(scenes.CLASSES[top], float(one.probability.iloc[top]), present))
