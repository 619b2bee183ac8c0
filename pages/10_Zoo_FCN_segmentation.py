"""Zoo: fully convolutional network (slide 68): a class for every pixel of a synthetic scene."""
import html
import inspect

import streamlit as st

from core import charts
from core.charts import fcn as fcn_charts
from core.zoo import fcn, overview, scenes
from ui import chrome, runners, show

PIXELS = scenes.SIZE * scenes.SIZE
card = next(a for a in overview.ARCHITECTURES if a.page == "pages/10_Zoo_FCN_segmentation.py")
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
how = ("each transposed convolution learns how one pixel paints a 2 × 2 patch" if up == fcn.UPSAMPLING[0] else
       "the interpolation itself is a fixed formula with no weights: the convolution after it does the learning")
chrome.notice(f"the encoder halves the side twice (32 → 16 → 8) while the channels grow, so each number sees a wider "
              f"patch of the scene; the decoder brings it back to 32 × 32 with {up}: {ev.decoder_parameters:,} of the "
              f"{ev.parameters:,} weights sit in the decoder, and {how}. A 1 × 1 convolution then turns each pixel's "
              f"channels into {len(scenes.CLASSES)} class scores. No layer is fully connected, so the same weights "
              "would run on a larger scene.")

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
scene_iou = ", ".join(f"{c} {v:.2f}" for c, v in seen.iou.dropna().itertuples(index=False))
wrong = ("every one of its pixels gets the right class" if not seen.wrong else
         f"{seen.wrong} of its {PIXELS:,} pixels get the wrong class, and {seen.wrong_on_outlines} of those lie on an "
         f"outline (next to a pixel of another class), though outlines are only {seen.outline_pixels} pixels "
         f"({seen.outline_pixels / PIXELS:.0%}) of the scene")
chrome.notice(f"in scene {scene}, {wrong}. IoU on this scene: {scene_iou}.")

# 3. How good is it --------------------------------------------------------------------------------------------------
chrome.section("3 · Intersection over union on the held-out scenes", "68")
st.latex(r"\text{IoU}_{\text{class}} = \frac{|\,\text{predicted} \cap \text{true}\,|}{|\,\text{predicted} \cup \text{true}\,|}")
st.markdown(f"counted over all pixels of the {fcn.N_VAL} held-out scenes: 1 is a perfect outline; predicting nothing "
            "scores 0.")
left, right = st.columns([3, 2])
with left:
    show.chart(fcn_charts.iou, ev.iou, ev.mean_iou, key="fcn-iou")
with right:
    show.table(ev.iou, key="fcn-iou-table")
    st.metric("Mean IoU of the three shapes", f"{ev.mean_iou:.3f}")
    st.metric("Pixels right", f"{ev.pixel_accuracy:.1%}")
iou = ev.iou.set_index("class")
worst, background = iou["IoU"].iloc[1:].idxmin(), iou.loc["background", "share of pixels"]
other = next(u for u in fcn.UPSAMPLING if u != up)
chrome.notice(f"{background:.0%} of the pixels are background, so a network that answered 'background' everywhere "
              f"would get {background:.0%} of pixels right and an IoU of 0 for every shape: that is why segmentation "
              f"is scored by IoU. The hardest shape is the **{worst}** ({iou.loc[worst, 'IoU']:.2f}). "
              f"{ev.mistakes_on_outlines:.0%} of the wrong pixels lie on outlines, which hold only "
              f"{ev.outline_share:.0%} of all pixels. The shipped network with {other} scores a mean IoU of "
              f"{fcn.shipped_meta(other)['val_mean_iou']:.3f}.")

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
top = seen.one_label.loc[seen.one_label["probability"].idxmax()]
found = (f"the map finds the {klass} where it is: P({klass}) is above 0.5 on {seen.above_half[klass]} pixels, and the "
         f"true mask has {seen.true_pixels[klass]}" if seen.true_pixels[klass] else
         f"this scene holds no {klass}, and P({klass}) is above 0.5 on {seen.above_half[klass]} pixels")
held = len(seen.classes_present)
chrome.notice(f"{found}. Squeezed into one answer, the scene is **{top['class']}** ({top['probability']:.0%}): the "
              f"{held} kind{'s' if held != 1 else ''} of shape it holds ({', '.join(seen.classes_present)}), and where "
              "each lies, are gone. One label per image says *what*; a label per pixel also says *where*.")
show.page_link("pages/8_Zoo_CNN.py", "The CNN: one label per image")
chrome.end()
