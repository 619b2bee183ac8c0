"""Zoo: fully convolutional network (slide 68): a class for every pixel of a synthetic scene."""
import html
import inspect

import streamlit as st

from core import charts, images
from core.zoo import fcn, overview, scenes
from ui import chrome, runners, show

card = next(a for a in overview.ARCHITECTURES if a.page == "pages/10_Zoo_FCN_segmentation.py")
chrome.page("Zoo: fully convolutional network (FCN) for segmentation", "68", f"""- **Purpose:** {card.purpose}
- **Architecture:** {card.architecture}
- **Output:** {card.output}

The scenes below are made in code: a noisy background with one to three squares, discs and triangles. The network
must label **every pixel** with its class. It opens with weights shipped with the app; train your own just below and
every view switches to it.""")

# 0. Which weights --------------------------------------------------------------------------------------------------
with st.container(border=True):
    own = st.toggle("Train it yourself (about 35 s for 20 epochs on 1,000 scenes on a free 2-core CPU)", key="fcn-own",
                    bind="query-params")
    recipe = None
    if own:
        c1, c2, c3, c4 = st.columns(4)
        up = c1.selectbox("Upsampling in the decoder", fcn.UPSAMPLING, key="fcn-up", bind="query-params")
        n_train = c2.select_slider("Training scenes", fcn.TRAIN_SIZES, fcn.SHIPPED_RECIPE.n_train, key="fcn-train",
                                   bind="query-params")
        epochs = c3.slider(f"Epochs (at most {fcn.MAX_EPOCHS})", 1, fcn.MAX_EPOCHS, fcn.SHIPPED_RECIPE.epochs,
                           key="fcn-epochs", bind="query-params")
        seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key="fcn-seed", bind="query-params")
        recipe = runners.config(fcn.Recipe, upsampling=up, n_train=n_train, epochs=epochs, seed=int(seed))
    slot = st.empty()
source = fcn.Source(recipe)
run = runners.run(fcn.trained, source, label="Training the FCN",
                  live=lambda history: show.redraw(slot, charts.curves(history, "loss")))
ev = runners.run(fcn.evaluate, source, label="Scoring the FCN on the held-out scenes")
who = "the shipped weights (`python -m core.zoo`)" if run.shipped else "**your** network"
slot.caption(f"Showing {who}: Adam for {run.recipe.epochs} epoch(s) on {run.recipe.n_train:,} scenes, "
             f"{run.recipe.upsampling}, seed {run.recipe.seed}; trained in {run.seconds:.0f} s.")
if not run.shipped:
    show.chart(charts.curves, run.history, "accuracy", key="fcn-curves")

# 1. Architecture ---------------------------------------------------------------------------------------------------
chrome.section("1 · Down, then up again: the encoder-decoder with the shape of every tensor", "68")
show.layers(ev.layers, key="fcn-layers", title="Scene")
with st.expander("The network in PyTorch (core/zoo/fcn.py)"):
    st.code(inspect.getsource(fcn.SceneFCN))
chrome.notice(f"the encoder halves the side twice (32 → 16 → 8) while the channels grow, so each number sees a wider "
              "patch of the scene; the decoder upsamples back to 32 × 32 with "
              f"{run.recipe.upsampling}, and a 1 × 1 convolution turns each pixel's channels into {len(scenes.CLASSES)} "
              f"class scores. No layer is fully connected: all {ev.parameters:,} weights are convolution kernels, "
              "so the same network would run on a larger scene.")

# 2. One scene --------------------------------------------------------------------------------------------------------
chrome.section("2 · One scene, pixel by pixel", "68")
c1, c2 = st.columns(2)
scene = c1.slider(f"Held-out scene (0 to {fcn.N_VAL - 1}; never seen in training)", 0, fcn.N_VAL - 1,
                  fcn.busiest_scene(), key="fcn-scene", bind="query-params")
klass = c2.selectbox("Class whose probability to draw", scenes.CLASSES[1:], index=1, key="fcn-class",
                     bind="query-params")
seen = runners.run(fcn.look, runners.config(fcn.Look, source=source, scene=scene, klass=klass), label="Segmenting")
swatches = " ".join(f'<span style="display:inline-block;width:0.9em;height:0.9em;background:rgb{tuple(int(v) for v in rgb)};'
                    f'border:1px solid #999;vertical-align:middle"></span> {html.escape(name)}'
                    for name, rgb in zip(scenes.CLASSES, images.CLASS_COLOURS))
st.markdown(f"Mask colours: {swatches}", unsafe_allow_html=True)
show.images(seen.pictures, seen.captions)
scene_iou = seen.iou.dropna().set_index("class")["IoU"]
chrome.notice(f"{seen.pixel_accuracy:.1%} of this scene's {scenes.SIZE * scenes.SIZE:,} pixels get the right class. "
              f"The {klass} probability runs from {seen.probability_range[0]:.2f} to {seen.probability_range[1]:.2f}: "
              "the output is a map, not one number. IoU here: "
              + ", ".join(f"{c} {v:.2f}" for c, v in scene_iou.items())
              + ". Mistakes gather at the edges, where a pixel's patch holds two classes.")

# 3. How good is it --------------------------------------------------------------------------------------------------
chrome.section("3 · Intersection over union on the held-out scenes", "68")
st.latex(r"\text{IoU}_{\text{class}} = \frac{|\,\text{predicted} \cap \text{true}\,|}{|\,\text{predicted} \cup \text{true}\,|}")
st.markdown(f"counted over all pixels of the {fcn.N_VAL} held-out scenes: 1 is a perfect outline; predicting nothing "
            "scores 0.")
left, right = st.columns([3, 2])
with left:
    show.chart(charts.bars, ev.iou, "class", "IoU", key="fcn-iou")
with right:
    show.table(ev.iou, key="fcn-iou-table")
    st.metric("Mean IoU of the three shapes", f"{ev.mean_iou:.3f}")
    st.metric("Pixels right", f"{ev.pixel_accuracy:.1%}")
iou = ev.iou.set_index("class")
worst = iou["IoU"].iloc[1:].idxmin()
chrome.notice(f"{iou.loc['background', 'share of pixels']:.0%} of the pixels are background, so a network that "
              f"answered 'background' everywhere would get {iou.loc['background', 'share of pixels']:.0%} of pixels "
              f"right and an IoU of 0 for every shape: that is why segmentation is scored by IoU. The hardest shape "
              f"is the **{worst}** ({iou.loc[worst, 'IoU']:.2f}).")

# 4. Dense output vs one label ---------------------------------------------------------------------------------------
chrome.section("4 · A label per pixel instead of a label per image", "66, 68")
st.markdown(f"The CNN of the previous pages ends in fully connected layers and gives **one** answer per image: "
            f"10 scores for an 8 × 8 digit. This FCN keeps the image's layout to the end and gives "
            f"**{ev.outputs_per_image:,} numbers** per scene: {len(scenes.CLASSES)} class scores for each of its "
            f"{scenes.SIZE} × {scenes.SIZE} pixels. The loss is the same cross-entropy, averaged over pixels "
            "instead of images; the argmax per pixel is the predicted mask.")
chrome.end()
