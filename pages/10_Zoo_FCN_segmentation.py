"""Zoo: fully convolutional network (slide 68): a class for every pixel of a synthetic scene."""
import html
import inspect

import streamlit as st

from core import charts
from core.charts import fcn as fcn_charts
from core.zoo import fcn, overview, scenes
from ui import chrome, runners, show

PIXELS = scenes.SIZE * scenes.SIZE
card = overview.architecture("fcn")
chrome.page("Zoo: fully convolutional network (FCN) for segmentation", "68", f"""- **Purpose:** {card.purpose}
- **Architecture:** {card.architecture}
- **Output:** {card.output}

The scenes below are made in code: a noisy background with one to three squares, discs and triangles. The network
must label **every pixel** with its class. It opens with weights shipped with the app; train your own just below and
every view switches to it.""")

# 0. Which network ---------------------------------------------------------------------------------------------------
with st.container(border=True):
    up = st.radio("Upsampling in the decoder (one shipped network each)", fcn.UPSAMPLING, horizontal=True,
                  key="fcn-up", bind="query-params")
    most = fcn.Recipe(upsampling=up, epochs=fcn.MAX_EPOCHS, n_train=max(fcn.TRAIN_SIZES))
    own = st.toggle(f"Train it yourself (at most {most.epochs} epochs on {most.n_train:,} scenes: about "
                    f"{fcn.expected_seconds(most):.0f} s on a free CPU core)", key="fcn-own", bind="query-params")
    recipe = None
    if own:
        c1, c2, c3 = st.columns(3)
        n_train = c1.select_slider("Training scenes", fcn.TRAIN_SIZES, fcn.SHIPPED_RECIPE.n_train, key="fcn-train",
                                   bind="query-params")
        epochs = c2.slider(f"Epochs (at most {fcn.MAX_EPOCHS})", 1, fcn.MAX_EPOCHS, fcn.SHIPPED_RECIPE.epochs,
                           key="fcn-epochs", bind="query-params")
        seed = c3.number_input("Seed (initial weights, batch order)", 0, 2**31 - 1, 0, key="fcn-seed",
                               bind="query-params")
        recipe = runners.config(fcn.Recipe, upsampling=up, n_train=n_train, epochs=epochs, seed=int(seed))
        st.caption(f"About {fcn.expected_seconds(recipe):.0f} s on a free CPU core (scaled from the shipped run's "
                   "time); longer when the machine is busy.")
    slot = st.empty()
source = runners.config(fcn.Source, upsampling=up, recipe=recipe)
run = runners.run(fcn.trained, source, label="Training the FCN",
                  live=lambda history: show.redraw(slot, charts.curves(history, "loss")))
ev = runners.run(fcn.evaluate, source, label="Scoring the FCN on the held-out scenes")
who, took = (("the shipped weights (`python -m core.zoo`)", f"made in {run.seconds:.0f} s on one CPU core") if run.shipped
             else ("**your** network", f"trained in {run.seconds:.0f} s"))
slot.caption(f"Showing {who}: Adam for {run.recipe.epochs} epoch(s) on {run.recipe.n_train:,} scenes, "
             f"{run.recipe.upsampling}, seed {run.recipe.seed}; {took}.")
if not run.shipped:
    show.chart(charts.curves, run.history, "accuracy", key="fcn-curves")

# 1. Architecture ----------------------------------------------------------------------------------------------------
chrome.section("1 · Down, then up again: the encoder-decoder with the shape of every tensor", "68")
show.layers(ev.layers, key="fcn-layers", title="Scene")
with st.expander("The network in PyTorch (core/zoo/fcn.py)"):
    st.code(inspect.getsource(fcn.SceneFCN))
lf = ev.layer_facts
how = ("each transposed convolution learns how one pixel paints a 2 × 2 patch" if lf.upsampling_learned else
       "the interpolation itself is a fixed formula with no weights: the convolution after it does the learning")
chrome.notice(f"the encoder halves the side twice ({lf.side_in} → {lf.side_pool1} → {lf.side_pool2}) while the "
              f"channels grow ({lf.channels_first} → {lf.channels_encoder_end}), so each number sees a wider patch of "
              f"the scene; the decoder brings it back to {lf.side_out} × {lf.side_out} with {up}: "
              f"{lf.decoder_weights:,} of the {lf.fcn_weights:,} weights sit in the decoder, and {how}. A 1 × 1 "
              f"convolution then turns each pixel's channels into {lf.class_scores} class scores. No layer is fully "
              "connected, so the same weights would run on a larger scene.", lf)

# 2. One scene -------------------------------------------------------------------------------------------------------
chrome.section("2 · One scene, pixel by pixel", "68")
scene = st.slider(f"Held-out scene (0 to {fcn.N_VAL - 1}; never seen in training)", 0, fcn.N_VAL - 1,
                  fcn.busiest_scene(), key="fcn-scene", bind="query-params")
seen = runners.run(fcn.look, runners.config(fcn.Look, source=source, scene=scene), label="Segmenting")
swatches = " ".join(f'<span style="display:inline-block;width:0.9em;height:0.9em;background:{colour};'
                    f'border:1px solid #999;vertical-align:middle"></span> {html.escape(name)}'
                    for name, colour in zip(scenes.CLASSES, fcn_charts.MASK_HEX))
st.markdown(f"Mask colours: {swatches}", unsafe_allow_html=True)
show.images(seen.pictures, seen.captions)
sf = seen.scene_facts
scene_iou = ", ".join(f"{c} {v:.2f}" for c, v in sf.scene_iou)
wrong = ("every one of its pixels gets the right class" if not sf.scene_wrong else
         f"{sf.scene_wrong} of its {sf.scene_pixels:,} pixels get the wrong class, and {sf.scene_wrong_on_outlines} of "
         f"those lie on an outline (next to a pixel of another class), though outlines are only "
         f"{sf.scene_outline_pixels} pixels ({sf.scene_outline_share:.0%}) of the scene")
chrome.notice(f"in scene {sf.scene_index}, {wrong}. IoU on this scene: {scene_iou}.", sf)

# 3. How good is it --------------------------------------------------------------------------------------------------
chrome.section("3 · Intersection over union on the held-out scenes", "68")
st.latex(r"\text{IoU}_{\text{class}} = \frac{|\,\text{predicted} \cap \text{true}\,|}{|\,\text{predicted} \cup \text{true}\,|}")
st.markdown(f"counted over all pixels of the {fcn.N_VAL} held-out scenes. 1: the pixels predicted for a class are "
            "exactly its true pixels; predicting none of them scores 0.")
left, right = st.columns([3, 2])
with left:
    show.chart(fcn_charts.iou, ev.iou, ev.mean_iou, key="fcn-iou")
with right:
    show.table(ev.iou, key="fcn-iou-table")
    st.metric("Mean IoU of the three shapes", f"{ev.mean_iou:.3f}")
    st.metric("Pixels right", f"{ev.pixel_accuracy:.1%}")
sc = ev.score_facts
zero = ("an IoU of 0 for every shape" if sc.all_background_best_shape_iou == 0 else
        f"an IoU of at most {sc.all_background_best_shape_iou:.2f} for a shape")
chrome.notice(f"{sc.background_share:.0%} of the pixels are background, so a network that answered 'background' "
              f"everywhere would get {sc.all_background_pixel_accuracy:.0%} of pixels right (this one: "
              f"{sc.fcn_pixel_accuracy:.1%}) and {zero}: that is why segmentation is scored by IoU. The hardest shape "
              f"is the **{sc.hardest_shape}** ({sc.hardest_shape_iou:.2f}). {sc.mistakes_on_outline_share:.0%} of the "
              f"wrong pixels lie on outlines, which hold only {sc.outline_pixel_share:.0%} of all pixels. The shipped "
              f"network with {sc.other_upsampling} scores a mean IoU over the three shapes of "
              f"{sc.other_shipped_mean_iou:.3f}.", sc)

# 4. Dense output vs one label ---------------------------------------------------------------------------------------
chrome.section("4 · A label per pixel instead of a label per image", "66, 68")
st.markdown(f"The CNN of the zoo ends in fully connected layers and gives **one** answer per image: 10 scores for an "
            f"8 × 8 digit. This FCN keeps the image's layout to the end and gives **{ev.outputs_per_image:,} numbers** "
            f"per scene: {len(scenes.CLASSES)} class scores for each of its {scenes.SIZE} × {scenes.SIZE} pixels. The "
            "loss is the same cross-entropy, averaged over pixels instead of images.")
klass = st.selectbox("Class whose probability to map", scenes.CLASSES[1:], index=1, key="fcn-class",
                     bind="query-params")
left, right = st.columns(2)
with left:
    st.markdown(f"**Per pixel (the FCN):** P({klass}) for each of the {PIXELS:,} pixels of scene {scene}")
    show.chart(fcn_charts.probability_map, seen.heat, klass, key="fcn-map")
with right:
    st.markdown("**One label for the whole scene:** the same probabilities averaged over its pixels")
    show.chart(fcn_charts.one_label, seen.one_label, key="fcn-one")
mf, of = seen.map_facts[klass], seen.one_label_facts
inside = f"{mf.map_inside_true} of them inside the true {klass} ({mf.map_true_pixels} pixels)"
found = (f"this scene holds no {klass}, and P({klass}) is above 0.5 on {mf.map_above_half} pixels"
         if not mf.map_true_pixels else
         f"the map finds the {klass} where it is: P({klass}) is above 0.5 on {mf.map_above_half} pixels, {inside}"
         if mf.map_found else
         f"the map finds the {klass} only roughly: P({klass}) is above 0.5 on {mf.map_above_half} pixels, {inside}")
held = len(of.shapes_present)
chrome.notice(f"{found}. Squeezed into one answer, the scene is **{of.one_label_class}** "
              f"({of.one_label_probability:.0%}): the {held} kind{'s' if held != 1 else ''} of shape it holds "
              f"({', '.join(of.shapes_present)}), and where each lies, are gone. One label per image says *what*; a "
              "label per pixel also says *where*.", mf, of)
show.page_link("pages/8_Zoo_CNN.py", "The CNN: one label per image")
chrome.end()
