"""The CNN page's parts (pages/8_Zoo_CNN.py): its recipe controls, pictures and the sentences of its notices; for
sections 6 and 7, a clicked cell worked by hand and the convolution explorer (core/zoo/convolution.py).

Every sentence is built from the facts core computed (core/zoo/cnn.py, core/zoo/cnn_lab.py); the page
passes the same facts to `chrome.notice`.
"""
from __future__ import annotations

import streamlit as st

from core.charts import cnn as cnn_charts
from core.zoo import cnn, cnn_lab, convolution
from core.zoo.source import Source
from ui import runners, show, zoo
from ui.untrusted import escape

FILTER_CHOICES = ("4 and 8", "8 and 16", "16 and 32")  # conv1 and conv2 filters a student may pick


def recipe() -> cnn.Recipe | None:
    """'Train it yourself': the student's recipe, or None for the shipped weights."""
    own = st.toggle("Train it yourself (the CNN, then the MLP it is compared with)", key="cnn-own",
                    bind="query-params")
    if not own:
        return None
    c1, c2, c3, c4 = st.columns(4)
    filters = c1.select_slider("Filters in conv1 and conv2", FILTER_CHOICES, "8 and 16", key="filters",
                               bind="query-params")
    epochs = c2.slider(f"Epochs (at most {cnn.MAX_EPOCHS})", 5, cnn.MAX_EPOCHS, cnn.SHIPPED_RECIPE.epochs,
                       key="cnn-epochs", bind="query-params")
    lr = c3.select_slider("Learning rate (Adam, log scale)", (0.001, 0.003, 0.01, 0.03), cnn.SHIPPED_RECIPE.lr,
                          key="lr", bind="query-params")
    seed = zoo.seed(c4, "seed")
    return runners.config(cnn.Recipe, filters=tuple(int(f) for f in filters.split(" and ")), epochs=epochs,
                          lr=lr, seed=int(seed))


def which_weights(trained: cnn.Trained) -> str:
    """The caption under the recipe: whose networks the page shows and how they were trained."""
    who = "the shipped weights (`python -m core.zoo`)" if trained.shipped else "**your** networks"
    recipe = trained.recipe
    if any(e < recipe.epochs for e in trained.kept_epoch.values()):
        return (f"Showing {who}: asked for {recipe.epochs} epochs of Adam at learning rate {recipe.lr:g}, batches "
                f"of {recipe.batch_size}, seed {recipe.seed}; the training stopped where a loss blew up (below), "
                f"after {trained.seconds:.1f} s.")
    return (f"Showing {who}: {recipe.epochs} epochs of Adam at learning rate {recipe.lr:g}, batches of "
            f"{recipe.batch_size}, seed {recipe.seed}; both networks trained in {trained.seconds:.1f} s.")


def filters_heading(comparison: cnn.ComparisonFacts) -> str:
    untrained = "CNN" in comparison.untrained
    return "2 · " + ("The filters, untrained (random weights)" if untrained else "What the filters learned")


def mlp_intro(trained: cnn.Trained) -> str:
    comparison = trained.facts
    blown = ("" if all(e == trained.recipe.epochs for e in trained.kept_epoch.values()) else
             f" Here a loss blew up, so the board reads the CNN at epoch {comparison.cnn_epochs_kept} and the MLP at "
             f"epoch {comparison.mlp_epochs_kept}, the weights each kept.")
    return (f"The MLP ({comparison.mlp_layers}) sees the same 64 pixels as a flat row and trains through the same "
            f"trainer, with the same optimizer, learning rate, batches and epochs.{blown}")


def layers_notice(facts: cnn_lab.LayerFacts) -> str:
    kernel = f"{facts.kernel_side} × {facts.kernel_side}"
    return (f"the two convolutions hold {facts.conv_weights:,} of the {facts.total_weights:,} weights "
            f"({facts.conv_share:.0%}): each {kernel} filter slides over the whole image, so its weights (and 1 "
            f"bias) are shared by every position. A conv1 filter reads the digit alone: {facts.conv1_inputs} × "
            f"{kernel} = {facts.conv1_filter_weights} weights; a conv2 filter reads all {facts.conv2_inputs} "
            f"conv1 maps at once: {facts.conv2_inputs} × {kernel} = {facts.conv2_filter_weights} weights. Each "
            f"pooling halves the side ({facts.side_in} → {facts.side_pool1} → {facts.side_pool2}), so the "
            f"classifier reads only {facts.flat_inputs} numbers; the fully connected layers take the other "
            f"{facts.fc_weights:,} weights. The softmax has {facts.softmax_weights}: it turns the "
            f"{facts.n_scores} scores into probabilities (the training loss applies it for you).")


def feature_maps(looked: cnn_lab.LookResult) -> None:
    """The digit beside both networks' probabilities, then its feature maps, three layers to a row."""
    left, right = st.columns([1, 3])
    left.image(looked.digit, caption=f"true digit: {looked.actual}", width="stretch")
    with right:
        show.chart(cnn_charts.probabilities, looked.probabilities, looked.actual, key="cnn-probabilities")
    st.markdown("**The feature maps**, layer by layer (map *k* sits at the same place in the convolution, ReLU "
                "and pooling pictures of a block):")
    for start in (0, 3):
        rows = zip(st.columns(3), looked.maps[start : start + 3], looked.map_captions[start : start + 3])
        for column, picture, caption in rows:
            column.image(picture, caption=caption, width="stretch")
    with show.folded("The feature maps in numbers", key="cnn-maps-numbers") as more:
        if more.open:
            show.table(looked.maps_table, key="cnn-maps")


def look_notice(facts: cnn_lab.LookFacts) -> str:
    window = f"{facts.pool_window} × {facts.pool_window}"
    return (f"the CNN says {facts.cnn_says} ({facts.cnn_says_probability:.0%}) and the MLP {facts.mlp_says} "
            f"({facts.mlp_says_probability:.0%}) for this {facts.look_actual}. ReLU set "
            f"{facts.relu_zeros_block1:.0%} of the first block's values to 0 and {facts.relu_zeros_block2:.0%} of "
            f"the second's; pooling kept the largest of each {window} block. The digit ends as "
            f"{facts.final_maps} maps of {facts.final_side} × {facts.final_side}: where each learned pattern was "
            "found, no longer the pixels.")


def mistakes_heading(facts: cnn_lab.MistakeFacts) -> str:
    shown = (f"All {facts.n_mistakes} mistakes" if facts.n_mistakes == facts.n_mistakes_shown else
             f"The {facts.n_mistakes_shown} most confident mistakes")
    return f"**{shown}**, most confident first (validation image number: true → predicted, confidence)"


def mistakes_notice(facts: cnn_lab.MistakeFacts) -> str:
    pairs = " and ".join(f"{a}s read as {b}s" for a, b in facts.common_pairs)
    each = " each" if len(facts.common_pairs) > 1 else ""
    common = ("" if not facts.common_count else ", no two of them alike" if facts.common_count == 1 else
              f", most often {pairs} ({facts.common_count} times{each})")
    sure = ("" if facts.top_wrong_confidence is None else
            f" The most confident one put {facts.top_wrong_confidence:.0%} on the wrong answer: a probability is "
            "not a guarantee.")
    return (f"the CNN gets {facts.accuracy_on_val:.1%} of the {facts.n_val_digits} validation digits right: "
            f"{facts.n_mistakes} mistakes{common}.{sure}")


def comparison_notice(comparison: cnn.ComparisonFacts, shift: cnn_lab.ShiftFacts) -> str:
    moved = (f"the CNN still gets {shift.shift1_cnn:.0%} right and the MLP only {shift.shift1_mlp:.0%}: a filter "
             "is the same at every position, so it still finds its stroke after a shift, while each MLP weight "
             "belongs to one pixel" if shift.shift1_cnn > shift.shift1_mlp else
             f"the CNN gets {shift.shift1_cnn:.0%} right and the MLP {shift.shift1_mlp:.0%}: these shared filters "
             "bought the CNN no tolerance to a shift")
    return (f"with {comparison.cnn_weights_budget:,} weights against {comparison.mlp_weights_budget:,}, the CNN "
            f"reaches {comparison.cnn_final_val_accuracy:.1%} and the MLP {comparison.mlp_final_val_accuracy:.1%} "
            f"({comparison.cnn_lead_points:+.1f} percentage points); {cnn.first_pass_phrase(comparison)}. Move "
            f"every digit by one pixel and {moved}. Neither is shift-proof (from {shift.unshifted_cnn:.0%} and "
            f"{shift.unshifted_mlp:.0%} unmoved): 8 × 8 pixels leave little room around a digit, and pooling only "
            "forgives small moves.")


# --- Sections 6 and 7: one convolution by hand ----------------------------------------------------------------

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
    # In the padded input's numbers, as the chart beside it draws them (core's top/left count in the unpadded
    # input, from -padding): "rows 2-4" under a chart that outlines rows 3-5 read as a mismatch.
    top, left = f.top + f.padding, f.left + f.padding
    where = (f"rows {top}–{top + f.kernel_side - 1}, columns {left}–{left + f.kernel_side - 1} of the padded input "
             "(as numbered on its chart)")
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
    flipped = (f"flipped, it would give {f.flipped_value:.4f} here" if abs(f.flipped_value - f.hand_value) > 5e-5
               else "this kernel flipped gives the same sum here")
    return (f"an {f.n} × {f.n} picture with a {f.k} × {f.k} kernel, stride {f.stride}, padding {f.padding} and "
            f"dilation {f.dilation} gives a {f.out_side} × {f.out_side} output by the formula, and F.conv2d's "
            f"output is {f.torch_side} × {f.torch_side}. Cell ({f.row}, {f.col}) by hand is {f.hand_value:.4f}, "
            f"F.conv2d's {f.torch_value:.4f}: a convolution is just this window sum (strictly a cross-correlation: "
            f"the kernel is not flipped, as in PyTorch's Conv2d; {flipped}), repeated at every stride-th position."
            f"{dilated}{padding}")
