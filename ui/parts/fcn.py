"""The FCN page's parts (pages/10_Zoo_FCN_segmentation.py): its network controls, pictures and the sentences of
its notices.

Every sentence is built from the facts core computed (core/zoo/fcn_lab.py); the page passes the same facts
to `chrome.notice`.
"""
from __future__ import annotations

import html

import streamlit as st

from core.charts import fcn as fcn_charts
from core.zoo import fcn, fcn_lab, scenes
from core.zoo.source import Source
from ui import lesson_map, runners, show, zoo


def recipe() -> tuple[fcn.Recipe | None, Source]:
    """The decoder and 'Train it yourself': the student's recipe (None: off), and that decoder's shipped network."""
    up = st.radio("Upsampling in the decoder (one shipped network each)", fcn.UPSAMPLING, horizontal=True,
                  key="fcn-up", bind="query-params")
    shipped = Source("fcn", asset=fcn.ASSETS[up])
    if not st.toggle("Train it yourself", key="fcn-own", bind="query-params"):
        return None, shipped
    c1, c2, c3 = st.columns(3)
    n_train = c1.select_slider("Training scenes", fcn.TRAIN_SIZES, fcn.SHIPPED_RECIPE.n_train, key="fcn-train",
                               bind="query-params")
    epochs = c2.slider(f"Epochs (at most {fcn.MAX_EPOCHS})", 1, fcn.MAX_EPOCHS, fcn.SHIPPED_RECIPE.epochs,
                       key="fcn-epochs", bind="query-params")
    seed = zoo.seed(c3, "fcn-seed", "initial weights, batch order")
    own = runners.config(fcn.Recipe, upsampling=up, n_train=n_train, epochs=epochs, seed=int(seed))
    return own, shipped


def which_network(trained: fcn.Trained) -> str:
    """The caption under the controls: whose network the page shows and how it was trained."""
    recipe = trained.recipe
    who, took = (("the shipped weights (`python -m core.zoo`)", f"made in {trained.seconds:.0f} s on one CPU core")
                 if trained.shipped else ("**your** network", f"trained in {trained.seconds:.0f} s"))
    epochs = f"{recipe.epochs} epoch{'' if recipe.epochs == 1 else 's'}"
    if trained.kept_epoch.get("FCN", recipe.epochs) < recipe.epochs:
        took = f"stopped where its loss blew up (below), after {trained.seconds:.0f} s"
    return (f"Showing {who}: Adam for {epochs} on {recipe.n_train:,} scenes, {recipe.upsampling}, "
            f"seed {recipe.seed}; {took}.")


def layers_notice(facts: fcn_lab.FCNLayerFacts, upsampling: str) -> str:
    how = ("each transposed convolution learns how one pixel paints a 2 × 2 patch" if facts.upsampling_learned else
           "the interpolation itself is a fixed formula with no weights: the convolution after it does the learning")
    return (f"the encoder halves the side twice ({facts.side_in} → {facts.side_pool1} → {facts.side_pool2}) while "
            f"the channels grow ({facts.channels_first} → {facts.channels_encoder_end}), so each number sees a "
            f"wider patch of the scene; the decoder brings it back to {facts.side_out} × {facts.side_out} with "
            f"{upsampling}: {facts.decoder_weights:,} of the {facts.fcn_weights:,} weights sit in the decoder, and "
            f"{how}. A 1 × 1 convolution then turns each pixel's channels into {facts.class_scores} class scores. No "
            "layer is fully connected, so the same weights would run on a larger scene.")


def mask_legend() -> None:
    """A colour swatch per class, as the masks draw them."""
    swatches = " ".join(f'<span style="display:inline-block;width:0.9em;height:0.9em;background:{colour};'
                        f'border:1px solid #999;vertical-align:middle"></span> {html.escape(name)}'
                        for name, colour in zip(scenes.CLASSES, fcn_charts.MASK_HEX))
    st.markdown(f"Mask colours: {swatches}", unsafe_allow_html=True)


def scene_notice(facts: fcn_lab.SceneFacts) -> str:
    scene_iou = ", ".join(f"{c} {v:.2f}" for c, v in facts.scene_iou)
    wrong = ("every one of its pixels gets the right class" if not facts.scene_wrong else
             f"{facts.scene_wrong} of its {facts.scene_pixels:,} pixels get the wrong class, and "
             f"{facts.scene_wrong_on_outlines} of those lie on an outline (next to a pixel of another class), though "
             f"outlines are only {facts.scene_outline_pixels} pixels ({facts.scene_outline_share:.0%}) of the scene")
    return f"in scene {facts.scene_index}, {wrong}. IoU on this scene: {scene_iou}."


def scores(view: fcn_lab.InspectResult) -> None:
    """What IoU is, then the IoU per class on the held-out scenes, its mean and the pixels right."""
    st.latex(r"\text{IoU}_{\text{class}} = \frac{|\,\text{predicted} \cap \text{true}\,|}"
             r"{|\,\text{predicted} \cup \text{true}\,|}")
    st.markdown(f"counted over all pixels of the {fcn.N_VAL} held-out scenes. 1: the pixels predicted for a class "
                "are exactly its true pixels; predicting none of them scores 0.")
    left, right = st.columns([3, 2])
    with left:
        show.chart(fcn_charts.iou, view.iou, view.mean_iou, key="fcn-iou")
    with right:
        show.table(view.iou, key="fcn-iou-table")
        st.metric("Mean IoU of the three shapes", f"{view.mean_iou:.3f}")
        st.metric("Pixels right", f"{view.pixel_accuracy:.1%}")


def score_notice(facts: fcn_lab.ScoreFacts) -> str:
    zero = ("an IoU of 0 for every shape" if facts.all_background_best_shape_iou == 0 else
            f"an IoU of at most {facts.all_background_best_shape_iou:.2f} for a shape")
    return (f"{facts.background_share:.0%} of the pixels are background, so a network that answered 'background' "
            f"everywhere would get {facts.all_background_pixel_accuracy:.0%} of pixels right (this one: "
            f"{facts.fcn_pixel_accuracy:.1%}) and {zero}: that is why segmentation is scored by IoU. The hardest "
            f"shape is the **{facts.hardest_shape}** ({facts.hardest_shape_iou:.2f}). "
            f"{facts.mistakes_on_outline_share:.0%} of the wrong pixels lie on outlines, which hold only "
            f"{facts.outline_pixel_share:.0%} of all pixels. The shipped network with {facts.other_upsampling} "
            f"scores a mean IoU over the three shapes of {facts.other_shipped_mean_iou:.3f}.")


def dense_output(view: fcn_lab.InspectResult) -> str:
    return (f"The CNN of the zoo ends in fully connected layers and gives **one** answer per image: 10 scores for an "
            f"8 × 8 digit. This FCN keeps the image's layout to the end and gives **{view.outputs_per_image:,} "
            f"numbers** per scene: {len(scenes.CLASSES)} class scores for each of its {scenes.SIZE} × {scenes.SIZE} "
            "pixels. The loss is the same cross-entropy, averaged over pixels instead of images.")


def per_pixel_and_one_label(looked: fcn_lab.LookResult, klass: str, scene: int) -> None:
    """One class's probability per pixel beside the scene squeezed into one answer."""
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Per pixel (the FCN):** P({klass}) for each of the {scenes.SIZE * scenes.SIZE:,} pixels of "
                    f"scene {scene}")
        show.chart(fcn_charts.probability_map, looked.heat, klass, key="fcn-map")
    with right:
        st.markdown("**One label for the whole scene:** the same probabilities averaged over its pixels")
        show.chart(fcn_charts.one_label, looked.one_label, key="fcn-one")


def map_notice(facts: fcn_lab.MapFacts, one_label: fcn_lab.OneLabelFacts) -> str:
    klass = facts.map_class
    inside = f"{facts.map_inside_true} of them inside the true {klass} ({facts.map_true_pixels} pixels)"
    found = (f"this scene holds no {klass}, and P({klass}) is above 0.5 on {facts.map_above_half} pixels"
             if not facts.map_true_pixels else
             f"the map finds the {klass} where it is: P({klass}) is above 0.5 on {facts.map_above_half} pixels, "
             f"{inside}" if facts.map_found else
             f"the map finds the {klass} only roughly: P({klass}) is above 0.5 on {facts.map_above_half} pixels, "
             f"{inside}")
    held = len(one_label.shapes_present)
    return (f"{found}. Squeezed into one answer, the scene is **{one_label.one_label_class}** "
            f"({one_label.one_label_probability:.0%}): the {held} kind{'s' if held != 1 else ''} of shape it holds "
            f"({', '.join(one_label.shapes_present)}), and where each lies, are gone. One label per image says "
            "*what*; a label per pixel also says *where*.")


def link_to_the_cnn() -> None:
    show.page_link(lesson_map.chapter("cnn").page, "The CNN: one label per image")
