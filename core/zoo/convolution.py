"""One convolution worked by hand (slide 66): a cell of the zoo CNN's feature map from its window, and an explorer
of kernel size, stride, padding and dilation on a small picture; both checked against PyTorch's own numbers.

- `output_side(n, k, s, p, d)`: the output-size formula of `torch.nn.Conv2d` (a ValueError when nothing fits).
- `hand_cell(x, weight, bias, row, col, ...)`: one output cell as the slide computes it: the window of the
  (zero-padded) input, the element-wise products with the filter, their sum over every channel, + the bias.
- `cell(Cell(source, image, layer, channel, row, col), trained)`: a cell of conv1's or conv2's feature map for a
  validation digit, then its ReLU and the max-pooling window it falls in, with the layer's own outputs beside.
- `explore(Explorer(...))`: a picture, a fixed kernel (edge, blur, sharpen, ...), `F.conv2d`'s output and one of
  its cells worked by hand.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.progress import Progress
from core.zoo import source
from core.zoo.cnn import SIDE, Trained, digits
from core.zoo.source import Source

QUANTITIES = ("input window", "filter weights", "products")  # the three grids of a hand-worked cell, in order


def output_side(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """The side of a convolution's output for an n x n input, a k x k kernel, stride s, padding p, dilation d.

    PyTorch's Conv2d documentation ("Shape", https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html):
    H_out = floor((H_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1).
    """
    span = d * (k - 1) + 1  # the pixels a dilated kernel covers along one side
    if span > n + 2 * p:
        raise ValueError(f"A {k} × {k} kernel at dilation {d} spans {span} pixels, more than the {n + 2 * p} of "
                         f"the padded picture ({n} + 2 × {p}): there is no output. Lower the kernel size or the "
                         "dilation, or pad more.")
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@dataclass(frozen=True)
class HandCell:
    """One output cell worked by hand. Positions are in the padded input (row 0 is the first padding row)."""

    rows: tuple[int, ...]  # the k padded-input rows the window reads (d apart)
    cols: tuple[int, ...]
    window: np.ndarray  # (C, k, k) the input values under the kernel (0 in the padding)
    weight: np.ndarray  # (C, k, k)
    products: np.ndarray  # (C, k, k) window * weight
    channel_sums: np.ndarray  # (C,) the products summed over each channel's window
    weighted_sum: float  # the sum of every product
    bias: float
    value: float  # weighted_sum + bias: the output at this cell
    in_padding: int  # window positions (over every channel) that fall in the zero padding


def hand_cell(x: Tensor, weight: Tensor, bias: float, row: int, col: int, stride: int = 1, padding: int = 0,
              dilation: int = 1) -> HandCell:
    """Output cell (row, col) of one filter, from x (C, H, W) and weight (C, k, k): no conv2d, just the window."""
    k = weight.shape[-1]
    padded = F.pad(x, (padding,) * 4)  # (C, H + 2p, W + 2p), zeros around
    rows = [row * stride + dilation * i for i in range(k)]  # the top-left cell moves `stride` per output cell
    cols = [col * stride + dilation * j for j in range(k)]
    window = padded[:, rows][:, :, cols]  # (C, k, k)
    products = window * weight
    sums = products.sum(dim=(1, 2))
    inside = [[padding <= r < x.shape[1] + padding and padding <= c < x.shape[2] + padding for c in cols]
              for r in rows]
    total = float(sums.sum())
    return HandCell(tuple(rows), tuple(cols), window.numpy(), weight.numpy(), products.numpy(), sums.numpy(), total,
                    float(bias), total + float(bias), x.shape[0] * int((~np.array(inside)).sum()))


def grid(values: np.ndarray, marked: np.ndarray | None = None, **columns: object) -> pd.DataFrame:
    """A (C, H, W) or (H, W) array as tidy rows: channel, row, col, value, marked (+ constant `columns`)."""
    values = values[None] if values.ndim == 2 else values
    c, h, w = values.shape
    ch, r, co = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    marks = np.zeros_like(values, dtype=bool) if marked is None else np.broadcast_to(marked, values.shape)
    return pd.DataFrame({"channel": ch.ravel(), "row": r.ravel(), "col": co.ravel(),
                         "value": values.ravel().astype(float), "marked": marks.ravel(), **columns})


def worked(hand: HandCell, several: str = "map") -> pd.DataFrame:
    """The window, the filter and their products as one tidy table, per channel: channel, row, col, value,
    quantity (in QUANTITIES) and grid (its heading: the quantity, after "map 3: " when there are several channels),
    in the order channel by channel, then QUANTITIES."""
    parts = [grid(a, quantity=q) for q, a in zip(QUANTITIES, (hand.window, hand.weight, hand.products))]
    df = pd.concat(parts, ignore_index=True).drop(columns="marked")
    df["grid"] = df["quantity"] if len(hand.window) == 1 else f"{several} " + df["channel"].astype(str) + ": " + \
        df["quantity"]
    return df.sort_values(["channel"], kind="stable", ignore_index=True)


def _padded(x: np.ndarray, hand: HandCell, padding: int) -> pd.DataFrame:
    """x (C, H, W) zero-padded, its window cells marked and its padding cells flagged."""
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    marked = np.zeros(padded.shape[1:], dtype=bool)
    marked[np.ix_(hand.rows, hand.cols)] = True
    inside = np.zeros(padded.shape[1:], dtype=bool)
    inside[padding : padding + x.shape[1], padding : padding + x.shape[2]] = True
    df = grid(padded, marked)
    df["padding"] = ~np.broadcast_to(inside, padded.shape).ravel()
    return df


# --- 1. A cell of the shipped CNN's feature maps -------------------------------------------------------------------

def feature_side(layer: int) -> int:
    """The side of conv`layer`'s feature maps in the zoo CNN: padding 1 keeps a side, each pooling halves it."""
    return SIDE // 2 ** (layer - 1)


@dataclass(frozen=True)
class Cell:
    """One cell of a conv layer's feature map for one validation digit (the zoo CNN's conv1 or conv2)."""

    source: Source = Source("cnn")
    image: int = 0  # index into the validation digits
    layer: int = 1  # 1: conv1 reads the digit; 2: conv2 reads every map of the first pooling
    channel: int = 0  # which filter (feature map) of that layer
    row: int = 3
    col: int = 3
    code_version: int = 1

    def __post_init__(self) -> None:
        n = len(digits().x_val)
        if not 0 <= self.image < n:
            raise ValueError(f"Pick a validation image between 0 and {n - 1}.")
        if self.layer not in (1, 2):
            raise ValueError("Pick conv layer 1 or 2.")
        if min(self.channel, self.row, self.col) < 0:
            raise ValueError("The feature map, its row and its column are counted from 0.")


@dataclass(frozen=True)
class CellFacts:
    """What the page says of one cell worked by hand, with the layer's own output to compare."""

    layer: int
    channel: int
    row: int
    col: int
    in_channels: int  # maps the filter reads (conv1: the digit alone)
    kernel_side: int
    padding: int
    map_side: int  # the feature map's side
    top: int  # the window's first row and column in the unpadded input (-1: it starts in the padding)
    left: int
    in_padding: int  # window positions (over every channel) in the zero padding
    weighted_sum: float
    bias: float
    pre_activation: float  # weighted_sum + bias, worked by hand
    model_output: float  # what the layer's own forward pass (nn.Conv2d) gives at this cell
    relu_output: float
    pooled: bool  # a max-pooling follows this conv's ReLU
    pool_side: int
    pool_row: int  # the pooled cell this one feeds, and its window's first row and column in the feature map
    pool_col: int
    pool_top: int
    pool_left: int
    pool_max: float  # the largest ReLU output in the pooling window, by hand
    model_pooled: float  # what the layer's own MaxPool2d gives
    cell_is_pool_max: bool  # this cell's ReLU output is the window's max (a tie counts)
    pool_all_zero: bool  # ReLU left nothing but 0 in the pooling window


@dataclass
class CellResult:
    inputs: pd.DataFrame  # channel, row, col, value, marked (in the window), padding: the padded input of the layer
    feature_map: pd.DataFrame  # row, col, value, marked: the chosen map before ReLU (the layer's output)
    worked: pd.DataFrame  # channel, row, col, value, quantity: window, weights and products
    channel_sums: pd.DataFrame  # channel, sum of products (conv2: one row per input map)
    pool_window: pd.DataFrame  # row, col, value, marked: the ReLU outputs of the pooling window (empty: no pooling)
    map_names: tuple[str, str]  # what the layer reads and makes: ("the digit", "conv1 map 3")
    facts: CellFacts


def _conv_block(features: nn.Sequential, layer: int) -> tuple[int, nn.Conv2d]:
    """The index and module of the `layer`-th convolution of `features`."""
    convs = [(i, m) for i, m in enumerate(features) if isinstance(m, nn.Conv2d)]
    return convs[layer - 1]


@torch.no_grad()
def cell(cfg: Cell, trained: Trained, on_progress: Progress[CellResult] | None = None) -> CellResult:
    """Cell (row, col) of map `channel` of conv `layer` worked by hand, then its ReLU and max-pooling window."""
    source.check(cfg.source, trained)
    features = trained.networks()[0].features
    at, conv = _conv_block(features, cfg.layer)
    x = features[:at](digits().x_val[cfg.image : cfg.image + 1])  # (1, C, H, W): what this conv reads
    out = conv(x)[0]  # (maps, H, W): the layer's own forward pass
    maps, side = out.shape[0], out.shape[-1]
    if cfg.channel >= maps:
        raise ValueError(f"conv{cfg.layer} makes {maps} feature maps: pick one from 0 to {maps - 1}.")
    if max(cfg.row, cfg.col) >= side:
        raise ValueError(f"conv{cfg.layer}'s feature maps are {side} × {side}: pick a row and a column from 0 to "
                         f"{side - 1}.")
    pad, k = int(conv.padding[0]), conv.kernel_size[0]  # padding may be a word ("same") for other layers
    bias = 0.0 if conv.bias is None else float(conv.bias[cfg.channel])
    hand = hand_cell(x[0], conv.weight[cfg.channel], bias, cfg.row, cfg.col, conv.stride[0], pad, conv.dilation[0])
    relu = max(hand.value, 0.0)
    after = list(features[at + 1 : at + 3])  # the ReLU and the pooling that follow (core.zoo.cnn.DigitCNN)
    pool = after[1] if len(after) == 2 and isinstance(after[1], nn.MaxPool2d) else None
    relued = torch.relu(out[cfg.channel])  # (H, W)
    if pool is not None:
        ps = pool.kernel_size if isinstance(pool.kernel_size, int) else pool.kernel_size[0]
        pr, pc = cfg.row // ps, cfg.col // ps  # pooling stride = its window (nn.MaxPool2d's default)
        window = relued[pr * ps : pr * ps + ps, pc * ps : pc * ps + ps]
        pool_max, model_pooled = float(window.max()), float(after[1](after[0](out))[cfg.channel, pr, pc])
        marked = np.zeros((ps, ps), dtype=bool)
        marked[cfg.row - pr * ps, cfg.col - pc * ps] = True
        pool_df = grid(window.numpy(), marked).drop(columns="channel")
        pool_df["row"] += pr * ps
        pool_df["col"] += pc * ps
    else:
        ps = pr = pc = 0
        pool_max = model_pooled = float("nan")
        pool_df = grid(np.zeros((0, 0))).drop(columns="channel")
    cell_mark = np.zeros((side, side), dtype=bool)
    cell_mark[cfg.row, cfg.col] = True
    facts = CellFacts(
        layer=cfg.layer, channel=cfg.channel, row=cfg.row, col=cfg.col, in_channels=x.shape[1], kernel_side=k,
        padding=pad, map_side=side, top=hand.rows[0] - pad, left=hand.cols[0] - pad, in_padding=hand.in_padding,
        weighted_sum=hand.weighted_sum, bias=hand.bias, pre_activation=hand.value,
        model_output=float(out[cfg.channel, cfg.row, cfg.col]), relu_output=relu, pooled=pool is not None,
        pool_side=ps, pool_row=pr, pool_col=pc, pool_top=pr * ps, pool_left=pc * ps, pool_max=pool_max,
        model_pooled=model_pooled, cell_is_pool_max=pool is not None and float(relued[cfg.row, cfg.col]) >= pool_max,
        pool_all_zero=pool is not None and pool_max == 0.0,
    )
    reads = "the digit" if cfg.layer == 1 else f"the {x.shape[1]} maps after conv{cfg.layer - 1}'s pooling"
    return CellResult(
        inputs=_padded(x[0].numpy(), hand, pad),
        feature_map=grid(out[cfg.channel].numpy(), cell_mark).drop(columns="channel"),
        worked=worked(hand),
        channel_sums=pd.DataFrame({"channel": range(len(hand.channel_sums)),
                                   "sum of products": hand.channel_sums.astype(float)}),
        pool_window=pool_df, map_names=(reads, f"conv{cfg.layer} map {cfg.channel}"), facts=facts,
    )


# --- 2. The convolution explorer -----------------------------------------------------------------------------------

PICTURES = ("digit", "square", "diagonal")  # the explorer's 8 x 8 pictures
KERNELS = ("vertical edge", "horizontal edge", "blur", "sharpen", "identity")
EXPLORER_IMAGE = 0  # the validation digit the explorer reads


def picture(name: str) -> Tensor:
    """An 8 x 8 picture in [0, 1]: a validation digit, a bright square on black, or a diagonal line."""
    if name == "digit":
        return digits().x_val[EXPLORER_IMAGE, 0]
    if name == "square":
        out = torch.zeros(SIDE, SIDE)
        out[2:6, 2:6] = 1.0
        return out
    if name == "diagonal":
        return torch.eye(SIDE)
    raise ValueError(f"No picture named {name!r}: pick one of {', '.join(PICTURES)}.")


def kernel(name: str, k: int) -> Tensor:
    """A fixed k x k kernel: an edge detector (-1 left / top, +1 right / bottom), a box blur (the mean), a sharpen
    (twice the centre minus the mean) or the identity (1 at the centre; even sizes: just above and left of it)."""
    centre = torch.zeros(k, k)
    centre[(k - 1) // 2, (k - 1) // 2] = 1.0
    if name in ("vertical edge", "horizontal edge"):
        if k < 2:
            raise ValueError("An edge kernel compares two sides: pick a kernel size of 2 or more.")
        step = torch.sign(torch.arange(k) - (k - 1) / 2).expand(k, k)  # -1 | 0 (odd k) | +1 along a row
        return step.clone() if name == "vertical edge" else step.T.clone()
    if name == "blur":
        return torch.full((k, k), 1.0 / k**2)
    if name == "sharpen":
        return 2 * centre - 1.0 / k**2
    if name == "identity":
        return centre
    raise ValueError(f"No kernel named {name!r}: pick one of {', '.join(KERNELS)}.")


@dataclass(frozen=True)
class Explorer:
    """A kernel slid over an 8 x 8 picture; (row, col): the output cell worked by hand."""

    picture: str = "digit"
    kernel: str = "vertical edge"
    k: int = 3
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    row: int = 0
    col: int = 0
    code_version: int = 2  # 2: flipped_value

    def __post_init__(self) -> None:
        if self.picture not in PICTURES:
            raise ValueError(f"No picture named {self.picture!r}: pick one of {', '.join(PICTURES)}.")
        for name, value, low, high in (("kernel size", self.k, 1, 5), ("stride", self.stride, 1, 3),
                                       ("padding", self.padding, 0, 2), ("dilation", self.dilation, 1, 3)):
            if not low <= value <= high:
                raise ValueError(f"The {name} must be between {low} and {high}.")
        kernel(self.kernel, self.k)  # a ValueError for an unknown kernel or an edge of size 1
        side = output_side(SIDE, self.k, self.stride, self.padding, self.dilation)
        if not (0 <= self.row < side and 0 <= self.col < side):
            raise ValueError(f"The output is {side} × {side}: pick a row and a column from 0 to {side - 1}.")


@dataclass(frozen=True)
class ExplorerFacts:
    """The output-size formula filled in, and the hand-worked cell against F.conv2d."""

    n: int
    k: int
    stride: int
    padding: int
    dilation: int
    span: int  # d (k - 1) + 1: the pixels the dilated kernel covers along a side
    numerator: int  # n + 2p - d (k - 1) - 1
    out_side: int  # by the formula
    torch_side: int  # F.conv2d's output side
    row: int
    col: int
    hand_value: float
    torch_value: float
    flipped_value: float  # the same window with the kernel flipped: a convolution in the maths sense (F.conv2d and
    # nn.Conv2d compute a cross-correlation, the kernel not flipped; PyTorch's Conv2d docs)
    in_padding: int  # window positions in the zero padding
    top: int  # the window's first padded-input row and column
    left: int


@dataclass
class ExplorerResult:
    padded: pd.DataFrame  # channel, row, col, value, marked (the hand cell's window), padding: the padded picture
    kernel: pd.DataFrame  # row, col, value
    output: pd.DataFrame  # row, col, value, marked (the hand cell): F.conv2d's output
    worked: pd.DataFrame  # channel, row, col, value, quantity: the window, the kernel and their products
    facts: ExplorerFacts


def explore(cfg: Explorer, on_progress: Progress[ExplorerResult] | None = None) -> ExplorerResult:
    """The picture convolved with the kernel by F.conv2d, and the chosen output cell worked by hand beside it."""
    x, w = picture(cfg.picture)[None], kernel(cfg.kernel, cfg.k)[None]  # (1, 8, 8), (1, k, k)
    out = F.conv2d(x[None], w[None], stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation)[0, 0]
    hand = hand_cell(x, w[0], 0.0, cfg.row, cfg.col, cfg.stride, cfg.padding, cfg.dilation)
    side = output_side(SIDE, cfg.k, cfg.stride, cfg.padding, cfg.dilation)
    marked = np.zeros(out.shape, dtype=bool)
    marked[cfg.row, cfg.col] = True
    facts = ExplorerFacts(
        n=SIDE, k=cfg.k, stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation,
        span=cfg.dilation * (cfg.k - 1) + 1, numerator=SIDE + 2 * cfg.padding - cfg.dilation * (cfg.k - 1) - 1,
        out_side=side, torch_side=int(out.shape[-1]), row=cfg.row, col=cfg.col, hand_value=hand.value,
        torch_value=float(out[cfg.row, cfg.col]),
        flipped_value=float((hand.window * hand.weight[..., ::-1, ::-1]).sum()),
        in_padding=hand.in_padding, top=hand.rows[0], left=hand.cols[0],
    )
    return ExplorerResult(
        padded=_padded(x.numpy(), hand, cfg.padding), kernel=grid(w[0].numpy()).drop(columns=["channel", "marked"]),
        output=grid(out.numpy(), marked).drop(columns="channel"), worked=worked(hand), facts=facts,
    )
