"""The CNN page's convolution sections (pages/8_Zoo_CNN.py, 6 and 7): a clicked cell worked by hand, and the
convolution explorer; their controls, grids and sentences, built from core/zoo/convolution.py's facts."""
from __future__ import annotations

import streamlit as st

from core.charts import cnn as cnn_charts
from core.zoo import cnn, convolution
from core.zoo.source import Source
from ui import runners, show
from ui.untrusted import escape

CELL_CHART, OUTPUT_CHART = "cell-map-chart", "conv-output-chart"  # clickable grids: a click picks the cell


def clicked_cell(state: object) -> tuple[int, int] | None:
    """The (row, column) clicked on a core.charts.cnn.numbers grid, from the chart's selection state, or None."""
    selected = (state or {}).get("selection", {}).get("click", []) if isinstance(state, dict) else []
    return (int(selected[0]["row"]), int(selected[0]["col"])) if selected else None


def _cell_inputs(chart: str, keys: tuple[str, str], side: int, labels: tuple[str, str]) -> tuple[int, int]:
    """Row and column number inputs (0 to side - 1), set by a new click on `chart`, kept inside a smaller grid."""
    clicked = clicked_cell(st.session_state.get(chart))
    if clicked and clicked != st.session_state.get(f"{chart}-kept"):  # a new click, not the last one kept
        st.session_state.update({f"{chart}-kept": clicked, keys[0]: clicked[0], keys[1]: clicked[1]})
    for key in keys:  # a grid that shrank (another layer, a larger stride) keeps the cell inside it
        if st.session_state.get(key, 0) > side - 1:
            st.session_state[key] = side - 1
    left, right = st.columns(2)
    row = left.number_input(labels[0], 0, side - 1, min(3, side - 1), key=keys[0], bind="query-params")
    col = right.number_input(labels[1], 0, side - 1, min(3, side - 1), key=keys[1], bind="query-params")
    return int(row), int(col)


def cell_controls(trained: cnn.Trained, source: Source) -> convolution.Cell:
    """Section 6's controls: the digit, the conv layer, its feature map and the cell (typed, or clicked)."""
    n_val = len(cnn.digits().x_val)
    c1, c2, c3 = st.columns(3)
    image = c1.number_input(f"Validation image (0 to {n_val - 1})", 0, n_val - 1, 0, key="cell-image",
                            bind="query-params")
    layer = c2.radio("Convolution", (1, 2), format_func=lambda i: f"conv{i}", horizontal=True, key="cell-layer",
                     bind="query-params")
    maps = trained.recipe.filters[layer - 1]
    if st.session_state.get("cell-map", 0) > maps - 1:
        st.session_state["cell-map"] = maps - 1
    channel = c3.number_input(f"Feature map (0 to {maps - 1})", 0, maps - 1, 0, key="cell-map",
                              bind="query-params")
    side = convolution.feature_side(layer)
    row, col = _cell_inputs(CELL_CHART, ("cell-row", "cell-col"), side, ("Row of the cell", "Column of the cell"))
    return runners.config(convolution.Cell, source=source, image=int(image), layer=int(layer),
                          channel=int(channel), row=row, col=col)


def cell_view(worked: convolution.CellResult) -> None:
    """The layer's input with the window, the clickable feature map, the hand-worked grids and the pooling."""
    f = worked.facts
    left, right = st.columns([3, 2]) if f.in_channels > 1 else st.columns(2)
    with left:
        show.chart(cnn_charts.numbers, worked.inputs, f"What conv{f.layer} reads: {worked.map_names[0]}, padded "
                   f"with {f.padding} zero{'s' if f.padding > 1 else ''} (grey), the window outlined",
                   signed=f.layer > 1, key="cell-inputs")
    with right:
        show.chart(cnn_charts.numbers, worked.feature_map, f"{worked.map_names[1]} before ReLU: click a cell",
                   clickable=True, on_select="rerun", key=CELL_CHART)
    show.chart(cnn_charts.numbers, worked.worked, "The window × the filter's weights = the products",
               facet="grid", prefix="", columns=3, own_colours=True, key="cell-worked")
    st.markdown(_sum_line(f))
    if f.in_channels > 1:
        with show.folded("The sum of products of each input map", key="cell-sums") as more:
            if more.open:
                show.table(worked.channel_sums, key="cell-sums-table")
    if f.pooled:
        left, right = st.columns([1, 3])
        with left:
            show.chart(cnn_charts.numbers, worked.pool_window, "The pooling window after ReLU", key="cell-pool")
        right.markdown(_pool_line(f))


def _sum_line(f: convolution.CellFacts) -> str:
    over = f"over all {f.in_channels} input maps " if f.in_channels > 1 else ""
    relu = "ReLU keeps it" if f.pre_activation > 0 else "ReLU sets it to 0"
    return (f"Sum of the {f.in_channels * f.kernel_side**2} products {over}= **{f.weighted_sum:.4f}**; + bias "
            f"{f.bias:.4f} = **{f.pre_activation:.4f}** (the layer's own output at this cell: "
            f"{f.model_output:.4f}); {relu}: **{f.relu_output:.4f}**.")


def _pool_line(f: convolution.CellFacts) -> str:
    rows, cols = f"{f.pool_top}–{f.pool_top + f.pool_side - 1}", f"{f.pool_left}–{f.pool_left + f.pool_side - 1}"
    return (f"Max-pooling {f.pool_side} × {f.pool_side}: the cell falls in the window of rows {rows}, columns "
            f"{cols}; its max **{f.pool_max:.4f}** becomes cell ({f.pool_row}, {f.pool_col}) of the pooled map "
            f"(the layer's own MaxPool2d gives {f.model_pooled:.4f}).")


def cell_notice(f: convolution.CellFacts) -> str:
    kernel = f"{f.kernel_side} × {f.kernel_side}"
    reads = ("the digit" if f.in_channels == 1 else
             f"all {f.in_channels} maps of the layer below, one {kernel} filter slice each, summed")
    where = (f"rows {f.top}–{f.top + f.kernel_side - 1}, columns {f.left}–{f.left + f.kernel_side - 1}")
    padding = (f" ({f.in_padding} of its positions fall in the zero padding and add nothing)" if f.in_padding else "")
    relu = ("ReLU passes it on" if f.pre_activation > 0 else "it is negative, so ReLU turns it into 0")
    pool = ("" if not f.pooled else
            " The whole pooling window is 0 after ReLU: the pooled map is 0 there." if f.pool_all_zero else
            " It is the largest of its pooling window, so it goes on to the next layer." if f.cell_is_pool_max else
            f" A neighbour in its pooling window is larger ({f.pool_max:.2f}), so pooling drops this value.")
    return (f"cell ({f.row}, {f.col}) of conv{f.layer} map {f.channel} reads only a {kernel} window of "
            f"{reads}, at {where}{padding}. The products summed plus the bias give {f.pre_activation:.4f}, the very "
            f"number the layer computes there ({f.model_output:.4f}); {relu}.{pool}")


def explorer_controls() -> convolution.Explorer | None:
    """Section 7's controls; None (with the reason shown) when nothing fits (an output of size 0 or less)."""
    c1, c2 = st.columns(2)
    picture = c1.selectbox("Picture (8 × 8)", convolution.PICTURES, key="conv-picture", bind="query-params")
    name = c2.selectbox("Kernel", convolution.KERNELS, key="conv-kernel", bind="query-params")
    c1, c2, c3, c4 = st.columns(4)
    k = c1.slider("Kernel size k", 1, 5, 3, key="conv-k", bind="query-params")
    stride = c2.slider("Stride s", 1, 3, 1, key="conv-stride", bind="query-params")
    padding = c3.slider("Padding p", 0, 2, 0, key="conv-padding", bind="query-params")
    dilation = c4.slider("Dilation d", 1, 3, 1, key="conv-dilation", bind="query-params")
    try:
        side = convolution.output_side(cnn.SIDE, k, stride, padding, dilation)
        convolution.kernel(name, k)
    except ValueError as error:
        st.error(escape(str(error)))
        return None
    row, col = _cell_inputs(OUTPUT_CHART, ("conv-row", "conv-col"), side,
                            ("Output row worked by hand", "Output column worked by hand"))
    return runners.config(convolution.Explorer, picture=picture, kernel=name, k=k, stride=stride, padding=padding,
                          dilation=dilation, row=row, col=col)


def explorer_view(result: convolution.ExplorerResult) -> None:
    """The formula filled in, the padded picture, the kernel, F.conv2d's output and the cell worked by hand."""
    f = result.facts
    st.markdown(f"**Output size** (PyTorch's `Conv2d` docs): out = ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 = "
                f"⌊({f.n} + 2·{f.padding} − {f.dilation}·({f.k} − 1) − 1) / {f.stride}⌋ + 1 = "
                f"⌊{f.numerator} / {f.stride}⌋ + 1 = **{f.out_side}**; `F.conv2d` made a "
                f"**{f.torch_side} × {f.torch_side}** output.")
    st.code(f"out = F.conv2d(picture, kernel, stride={f.stride}, padding={f.padding}, dilation={f.dilation})"
            f"  # (1, 1, 8, 8) -> (1, 1, {f.torch_side}, {f.torch_side})", language="python")
    c1, c2, c3 = st.columns(3)
    with c1:
        show.chart(cnn_charts.numbers, result.padded, f"The picture padded with {f.padding}: the window of cell "
                   f"({f.row}, {f.col}) outlined", signed=False, digits=1, key="conv-padded")
    with c2:
        show.chart(cnn_charts.numbers, result.kernel, f"The {f.k} × {f.k} kernel", key="conv-kernel-grid")
    with c3:
        show.chart(cnn_charts.numbers, result.output, "F.conv2d's output: click a cell", clickable=True,
                   on_select="rerun", key=OUTPUT_CHART)
    show.chart(cnn_charts.numbers, result.worked, f"Cell ({f.row}, {f.col}) by hand: the window × the kernel",
               facet="grid", prefix="", columns=3, own_colours=True, key="conv-worked")
    st.markdown(f"Sum of the {f.k * f.k} products = **{f.hand_value:.4f}**; `F.conv2d` at ({f.row}, {f.col}): "
                f"**{f.torch_value:.4f}**.")


def explorer_notice(f: convolution.ExplorerFacts) -> str:
    dilated = (f" Dilation {f.dilation} spreads the {f.k} × {f.k} weights {f.dilation} pixels apart, so they span "
               f"{f.span} × {f.span} pixels with the same {f.k * f.k} weights." if f.dilation > 1 else "")
    padding = (f" {f.in_padding} of this cell's {f.k * f.k} window positions fall in the zero padding." if
               f.in_padding else "")
    return (f"an {f.n} × {f.n} picture with a {f.k} × {f.k} kernel, stride {f.stride}, padding {f.padding} and "
            f"dilation {f.dilation} gives a {f.out_side} × {f.out_side} output by the formula, and F.conv2d's "
            f"output is {f.torch_side} × {f.torch_side}. Cell ({f.row}, {f.col}) by hand is {f.hand_value:.4f}, "
            f"F.conv2d's {f.torch_value:.4f}: a convolution is just this window sum, repeated at every "
            f"stride-th position.{dilated}{padding}")
