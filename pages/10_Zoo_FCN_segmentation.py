"""Zoo: fully convolutional network (slide 68): a class for every pixel of a synthetic scene."""
import inspect

import streamlit as st

from core import charts
from core.zoo import fcn, fcn_lab, scenes
from core.zoo.recipe import untrained as untrained_of
from core.zoo.source import Inspect
from ui import chrome, runners, show, zoo
from ui.parts import fcn as parts

chrome.page("fcn", """
The scenes below are made in code: a noisy background with one to three squares, discs and
triangles. The network must label **every pixel** with its class. It opens with weights shipped with
the app; train your own just below and every view switches to it once it is trained.""",
            lead=zoo.card("fcn"))

# 0. Which network ---------------------------------------------------------------------------------
with st.container(border=True):
    recipe, shipped = parts.recipe()
    trained, source, slot = zoo.which(recipe, shipped, label="Training the FCN", what="network",
                                      curves=lambda part: charts.curves(part.history, "loss"))
    slot.caption(parts.which_network(trained))
    if not trained.shipped:
        show.chart(charts.curves, trained.history, "accuracy", key="fcn-curves")
        zoo.trainer_said(trained.messages, trained.kept_epoch, trained.recipe.epochs, named=False)
# replaces the notices that would read training into a network that kept epoch 0
untrained = zoo.untrained_notice(untrained_of(trained.kept_epoch))
view = runners.run(fcn_lab.inspect, Inspect(source), label="Scoring the FCN on the held-out scenes",
                   inputs=(trained,))

# 1. Architecture ----------------------------------------------------------------------------------
if chrome.section("1 · Down, then up again: the encoder-decoder with the shape of every tensor",
                  "68"):
    show.layers(view.layers, key="fcn-layers", title="Scene")
    with show.folded("The network in PyTorch (core/zoo/fcn.py)", key="fcn-code") as more:
        if more.open:
            st.code(inspect.getsource(fcn.SceneFCN))
    chrome.notice(parts.layers_notice(view.layer_facts, trained.recipe.upsampling),
                  view.layer_facts)

# 2. One scene -------------------------------------------------------------------------------------
if chrome.section("2 · One scene, pixel by pixel", "68"):
    scene = st.slider(f"Held-out scene (0 to {fcn.N_VAL - 1}; never seen in training)", 0,
                      fcn.N_VAL - 1, fcn_lab.busiest_scene(), key="fcn-scene", bind="query-params")
    looked = runners.run(fcn_lab.look, runners.config(fcn_lab.Look, source=source, scene=scene),
                         label="Segmenting", inputs=(trained,))
    parts.mask_legend()
    show.images(looked.pictures, looked.captions)
    chrome.notice(untrained or parts.scene_notice(looked.scene_facts), looked.scene_facts)

# 3. How good is it --------------------------------------------------------------------------------
if chrome.section("3 · Intersection over union on the held-out scenes", "68"):
    parts.scores(view)
    chrome.notice(untrained or parts.score_notice(view.score_facts), view.score_facts)

# 4. Dense output vs one label ---------------------------------------------------------------------
if chrome.section("4 · A label per pixel instead of a label per image", "66, 68"):
    st.markdown(parts.dense_output(view))
    klass = st.selectbox("Class whose probability to map", scenes.CLASSES[1:], index=1,
                         key="fcn-class",
                         bind="query-params")
    parts.per_pixel_and_one_label(looked, klass, scene)
    chrome.notice(untrained or parts.map_notice(looked.map_facts[klass], looked.one_label_facts),
                  looked.map_facts[klass], looked.one_label_facts)
    parts.link_to_the_cnn()
chrome.end()
