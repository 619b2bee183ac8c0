"""Zoo: CNN (slide 66): a small convolutional network on the 8x8 digits: layers, filters,
feature maps, mistakes."""
import inspect

import streamlit as st

from core import charts
from core.charts import cnn as cnn_charts
from core.zoo import cnn, cnn_lab, convolution
from core.zoo.source import Inspect, Source
from ui import chrome, runners, show, zoo
from ui.parts import cnn as parts

chrome.page("cnn", """
Below, a small CNN reads scikit-learn's 8 × 8 handwritten digits (the same train/validation split
as the other pages). It opens with weights shipped with the app; train your own just below and
every view switches to it once it is trained.""",
            lead=zoo.card("cnn"))

# 0. Which network ---------------------------------------------------------------------------------
with st.container(border=True):
    trained, source, slot = zoo.which(
        parts.recipe(), Source("cnn"), label="Training the CNN, then the MLP", what="networks",
        curves=lambda part: charts.curves(part.history, "accuracy"))
    slot.caption(parts.which_weights(trained))
    zoo.trainer_said(trained.messages, trained.kept_epoch, trained.recipe.epochs)
# replaces the notices that would read training into networks that kept epoch 0
untrained = zoo.untrained_notice(trained.facts.untrained)
view = runners.run(cnn_lab.inspect, Inspect(source), label="Looking inside the CNN",
                   inputs=(trained,))

# 1. Architecture ----------------------------------------------------------------------------------
if chrome.section("1 · The architecture, with the shape of every tensor", "66"):
    show.layers(view.layers, key="cnn-layers", title="Digit")
    with show.folded("The network in PyTorch (core/zoo/cnn.py)", key="cnn-code") as more:
        if more.open:
            st.code(inspect.getsource(cnn.DigitCNN))
    chrome.notice(parts.layers_notice(view.layer_facts), view.layer_facts)

# 2. Filters ---------------------------------------------------------------------------------------
if chrome.section(parts.filters_heading(trained.facts), "66"):
    st.markdown("Each square is one 3 × 3 kernel: **orange** weights add the pixel below them, "
                "**blue** ones subtract it, white is 0. A filter answers strongly where the image "
                "looks like it (an edge, a stroke, a corner).")
    for picture, caption in zip(view.filters, view.filter_captions):
        st.image(picture, caption=caption, width=picture.shape[1])

# 3. One digit through the network -----------------------------------------------------------------
if chrome.section("3 · One digit through the network: feature maps and softmax", "66"):
    n_val = len(cnn.digits().x_val)
    image = st.number_input(
        f"Validation image (0 to {n_val - 1}; section 4's mistakes give theirs)", 0, n_val - 1, 0,
        key="image", bind="query-params")
    looked = runners.run(cnn_lab.look, runners.config(cnn_lab.Look, source=source,
                                                      image=int(image)),
                         label="Running the digit", inputs=(trained,))
    parts.feature_maps(looked)
    chrome.notice(untrained or parts.look_notice(looked.facts), looked.facts)

# 4. Mistakes --------------------------------------------------------------------------------------
if chrome.section("4 · How good is it on the validation digits? Confusion matrix and mistakes",
                  "66"):
    left, right = st.columns([2, 3])
    with left:
        show.chart(charts.confusion, view.confusion,
                   title="Confusion matrix of the validation digits",
                   key="cnn-confusion")
    with right:
        st.markdown(parts.mistakes_heading(view.mistake_facts))
        show.images(view.wrong_pictures, view.wrong_captions, columns=6)
        with show.folded("The mistakes as a table", key="cnn-mistakes-table") as more:
            if more.open:
                show.table(view.wrong, key="cnn-wrong")
    chrome.notice(untrained or parts.mistakes_notice(view.mistake_facts), view.mistake_facts)

# 5. CNN vs MLP ------------------------------------------------------------------------------------
if chrome.section("5 · CNN against an MLP with the same number of weights, on validation digits"):
    st.markdown(parts.mlp_intro(trained))
    left, right = st.columns(2)
    with left:
        show.chart(cnn_charts.validation, trained.history, key="cnn-vs-mlp")
    with right:
        show.chart(cnn_charts.shifted, view.shifted, key="cnn-shifted")
    show.table(trained.board, key="cnn-board")
    chrome.notice(untrained or parts.comparison_notice(trained.facts, view.shift_facts),
                  trained.facts,
                  view.shift_facts)

# 6. One cell by hand ------------------------------------------------------------------------------
if chrome.section("6 · Click a cell: one convolution by hand, then ReLU and pooling", "66"):
    cell = runners.run(convolution.cell, parts.cell_controls(trained, source),
                       label="Working the cell by hand", inputs=(trained,))
    parts.cell_view(cell)
    chrome.notice(parts.cell_notice(cell.facts), cell.facts)

# 7. Convolution explorer --------------------------------------------------------------------------
if chrome.section("7 · A convolution explorer: kernel size, stride, padding and dilation", "66"):
    explorer = parts.explorer_controls()
    if explorer is not None:  # None: nothing fits, the controls said why
        explored = runners.run(convolution.explore, explorer, label="Convolving")
        parts.explorer_view(explored)
        chrome.notice(parts.explorer_notice(explored.facts), explored.facts)
chrome.end()
