"""Zoo: CNN (slide 66): a small convolutional network on the 8x8 digits: layers, filters, feature maps, mistakes."""
import inspect

import streamlit as st

from core import charts
from core.charts import cnn as cnn_charts
from core.zoo import cnn, cnn_views as views, overview
from ui import chrome, runners, show

card = next(a for a in overview.ARCHITECTURES if a.page == "pages/8_Zoo_CNN.py")
chrome.page("Zoo: convolutional neural network (CNN)", "66", f"""- **Purpose:** {card.purpose}
- **Architecture:** {card.architecture}
- **Output:** {card.output}

Below, a small CNN reads scikit-learn's 8 × 8 handwritten digits (the same train/validation split as the other
pages). It opens with weights shipped with the app; train your own just below and every view switches to it.""")

# 0. Which weights --------------------------------------------------------------------------------------------------
with st.container(border=True):
    own = st.toggle("Train it yourself (the CNN, then the MLP it is compared with: about 3 to 10 s on a free 2-core CPU)",
                    key="cnn-own", bind="query-params")
    recipe = None
    if own:
        c1, c2, c3, c4 = st.columns(4)
        filters = c1.select_slider("Filters in conv1 and conv2", ("4 and 8", "8 and 16", "16 and 32"), "8 and 16",
                                   key="filters", bind="query-params")
        epochs = c2.slider(f"Epochs (at most {cnn.MAX_EPOCHS})", 5, cnn.MAX_EPOCHS, cnn.SHIPPED_RECIPE.epochs,
                           key="cnn-epochs", bind="query-params")
        lr = c3.select_slider("Learning rate (Adam, log scale)", (0.001, 0.003, 0.01, 0.03), cnn.SHIPPED_RECIPE.lr,
                              key="lr", bind="query-params")
        seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key="seed", bind="query-params")
        recipe = runners.config(cnn.Recipe, filters=tuple(int(f) for f in filters.split(" and ")), epochs=epochs,
                                lr=lr, seed=int(seed))
    slot = st.empty()
source = cnn.Source(recipe)
run = runners.run(cnn.trained, source, label="Training the CNN, then the MLP",
                  live=lambda history: show.redraw(slot, charts.curves(history, "accuracy")))
view = runners.run(views.inspect, views.View(source), label="Looking inside the CNN")
who = "the shipped weights (`python -m core.zoo`)" if run.shipped else "**your** networks"
slot.caption(f"Showing {who}: {run.recipe.epochs} epochs of Adam at learning rate {run.recipe.lr:g}, batches of "
             f"{run.recipe.batch_size}, seed {run.recipe.seed}; both networks trained in {run.seconds:.1f} s.")

# 1. Architecture ---------------------------------------------------------------------------------------------------
chrome.section("1 · The architecture, with the shape of every tensor", "66")
show.layers(view.layers, key="cnn-layers", title="Digit")
with st.expander("The network in PyTorch (core/zoo/cnn.py)"):
    st.code(inspect.getsource(cnn.DigitCNN))
lf = view.layer_facts
k = f"{lf.kernel_side} × {lf.kernel_side}"
chrome.notice(f"the two convolutions hold {lf.conv_weights:,} of the {lf.total_weights:,} weights "
              f"({lf.conv_share:.0%}): each {k} filter slides over the whole image, so its weights (and 1 bias) are "
              f"shared by every position. A conv1 filter reads the digit alone: {lf.conv1_inputs} × {k} = "
              f"{lf.conv1_filter_weights} weights; a "
              f"conv2 filter reads all {lf.conv2_inputs} conv1 maps at once: {lf.conv2_inputs} × {k} = "
              f"{lf.conv2_filter_weights} weights. Each pooling halves the side ({lf.side_in} → {lf.side_pool1} → "
              f"{lf.side_pool2}), so the classifier reads only {lf.flat_inputs} numbers; the fully connected layers "
              f"take the other {lf.fc_weights:,} weights. The softmax has {lf.softmax_weights}: it turns the "
              f"{lf.n_scores} scores into probabilities (the training loss applies it for you).", lf)

# 2. Filters --------------------------------------------------------------------------------------------------------
chrome.section("2 · What the filters learned", "66")
st.markdown("Each square is one 3 × 3 kernel: **orange** weights add the pixel below them, **blue** ones subtract it, "
            "white is 0. A filter answers strongly where the image looks like it (an edge, a stroke, a corner).")
for picture, caption in zip(view.filters, view.filter_captions):
    st.image(picture, caption=caption, width=picture.shape[1])

# 3. One digit through the network ------------------------------------------------------------------------------------
chrome.section("3 · One digit through the network: feature maps and softmax", "66")
n_val = len(cnn.digits().x_val)
image = st.number_input(f"Validation image (0 to {n_val - 1}; the mistakes in section 4 list theirs)", 0, n_val - 1,
                        0, key="image", bind="query-params")
look = runners.run(views.look, runners.config(views.Look, source=source, image=int(image)), label="Running the digit")
left, right = st.columns([1, 3])
left.image(look.digit, caption=f"true digit: {look.actual}", width="stretch")
with right:
    show.chart(cnn_charts.probabilities, look.probabilities, look.actual, key="cnn-probabilities")
st.markdown("**The feature maps**, layer by layer (map *k* sits at the same place in the convolution, ReLU and "
            "pooling pictures of a block):")
for start in (0, 3):
    for column, picture, caption in zip(st.columns(3), look.maps[start : start + 3], look.map_captions[start : start + 3]):
        column.image(picture, caption=caption, width="stretch")
with st.expander("The feature maps in numbers"):
    show.table(look.maps_table, key="cnn-maps")
lk = look.facts
chrome.notice(f"the CNN says {lk.cnn_says} ({lk.cnn_says_probability:.0%}) and the MLP {lk.mlp_says} "
              f"({lk.mlp_says_probability:.0%}) for this {lk.look_actual}. ReLU set {lk.relu_zeros_block1:.0%} of the "
              f"first block's values to 0 and {lk.relu_zeros_block2:.0%} of the second's; pooling kept the largest of "
              f"each {lk.pool_window} × {lk.pool_window} block. The digit ends as {lk.final_maps} maps of "
              f"{lk.final_side} × {lk.final_side}: where each learned pattern was found, no longer the pixels.", lk)

# 4. Mistakes -------------------------------------------------------------------------------------------------------
chrome.section("4 · How good is it? The confusion matrix and the mistakes", "66")
left, right = st.columns([2, 3])
with left:
    show.chart(charts.confusion, view.confusion, key="cnn-confusion")
with right:
    mf = view.mistake_facts
    shown = (f"All {mf.n_mistakes} mistakes" if mf.n_mistakes == mf.n_mistakes_shown else
             f"The {mf.n_mistakes_shown} most confident mistakes")
    st.markdown(f"**{shown}**, most confident first (validation image number: true → predicted, confidence)")
    show.images(view.wrong_pictures, view.wrong_captions, columns=6)
    with st.expander("The mistakes as a table"):
        show.table(view.wrong, key="cnn-wrong")
pairs = " and ".join(f"{a}s read as {b}s" for a, b in mf.common_pairs)
common = ("" if not mf.common_count else ", no two of them alike" if mf.common_count == 1 else
          f", most often {pairs} ({mf.common_count} times{' each' if len(mf.common_pairs) > 1 else ''})")
sure = ("" if mf.top_wrong_confidence is None else f" The most confident one put {mf.top_wrong_confidence:.0%} on the "
        "wrong answer: a probability is not a guarantee.")
chrome.notice(f"the CNN gets {mf.accuracy_on_val:.1%} of the {mf.n_val_digits} validation digits right: "
              f"{mf.n_mistakes} mistakes{common}.{sure}", mf)

# 5. CNN vs MLP -------------------------------------------------------------------------------------------------------
chrome.section("5 · CNN against an MLP with the same number of weights")
cf, sf = run.facts, view.shift_facts
st.markdown(f"The MLP ({cf.mlp_layers}) sees the same 64 pixels as a flat row and trains through the same "
            "trainer, with the same optimizer, learning rate, batches and epochs.")
left, right = st.columns(2)
with left:
    show.chart(cnn_charts.validation, run.history, key="cnn-vs-mlp")
with right:
    show.chart(cnn_charts.shifted, view.shifted, key="cnn-shifted")
show.table(run.board, key="cnn-board")
shift = (f"the CNN still gets {sf.shift1_cnn:.0%} right and the MLP only {sf.shift1_mlp:.0%}: a filter is the same "
         "at every position, so it still finds its stroke after a shift, while each MLP weight belongs to one pixel"
         if sf.shift1_cnn > sf.shift1_mlp else
         f"the CNN gets {sf.shift1_cnn:.0%} right and the MLP {sf.shift1_mlp:.0%}: these shared filters bought the "
         "CNN no tolerance to a shift")
chrome.notice(f"with {cf.cnn_weights_budget:,} weights against {cf.mlp_weights_budget:,}, the CNN reaches "
              f"{cf.cnn_final_val_accuracy:.1%} and the MLP {cf.mlp_final_val_accuracy:.1%} ({cf.cnn_lead_points:+.1f} "
              f"percentage points); {cnn.first_pass_phrase(cf)}. Move every digit by one pixel and {shift}. Neither is "
              f"shift-proof (from {sf.unshifted_cnn:.0%} and {sf.unshifted_mlp:.0%} unmoved): 8 × 8 pixels leave "
              "little room around a digit, and pooling only forgives small moves.", cf, sf)
chrome.end()
