"""Zoo: CNN (slides 65-66): a small convolutional network on the 8x8 digits: layers, filters, feature maps, mistakes."""
import inspect

import streamlit as st

from core import charts
from core.charts import cnn as cnn_charts
from core.zoo import cnn, cnn_views as views, overview
from ui import chrome, runners, show

card = next(a for a in overview.ARCHITECTURES if a.page == "pages/8_Zoo_CNN.py")
chrome.page("Zoo: convolutional neural network (CNN)", "65-66", f"""- **Purpose:** {card.purpose}
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
conv, total = view.weights_in["convolution"], sum(view.weights_in.values())
chrome.notice(f"the two convolutions hold {conv:,} of the {total:,} weights ({conv / total:.0%}): each 3 × 3 filter "
              "slides over the whole image, so its 9 weights (and 1 bias) are shared by every position. Each pooling "
              f"halves the side (8 → 4 → 2), so the classifier reads only {view.flat} numbers; the fully connected "
              f"layers take the other {view.weights_in['fully connected']:,} weights. The softmax has none: it turns "
              "the 10 scores into probabilities (the training loss applies it for you).")

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
p = look.probabilities.set_index(["model", "digit"])["probability"]
verdict = {m: f"{look.predicted[m]} ({p[m, str(look.predicted[m])]:.0%})" for m in cnn.NAMES}
chrome.notice(f"the CNN says {verdict['CNN']} and the MLP {verdict['MLP']} for this {look.actual}. ReLU set "
              f"{look.relu_zeros[0]:.0%} of the first block's values to 0 and {look.relu_zeros[1]:.0%} of the second's; "
              f"pooling kept the largest of each 2 × 2 block. The 8 × 8 digit ends as {look.final}: where each learned "
              "pattern was found, no longer the pixels.")

# 4. Mistakes -------------------------------------------------------------------------------------------------------
chrome.section("4 · How good is it? The confusion matrix and the mistakes", "66")
left, right = st.columns([2, 3])
with left:
    show.chart(charts.confusion, view.confusion, key="cnn-confusion")
with right:
    wrong = view.wrong
    shown = f"All {view.n_wrong} mistakes" if view.n_wrong == len(wrong) else f"The {len(wrong)} most confident mistakes"
    st.markdown(f"**{shown}**, most confident first (validation image number: true → predicted, confidence)")
    show.images(view.wrong_pictures, [f"#{r.image}: {r.actual} → {r.predicted} ({r.confidence:.0%})"
                                      for r in wrong.itertuples()], columns=6)
    with st.expander("The mistakes as a table"):
        show.table(wrong, key="cnn-wrong")
common = "" if view.worst is None else ", the most common a {} read as a {} ({} times)".format(*view.worst)
sure = "" if wrong.empty else (f" Many are digits a person would hesitate over too, yet the most confident one put "
                               f"{wrong.confidence.iloc[0]:.0%} on the wrong answer: a probability is not a guarantee.")
chrome.notice(f"the CNN gets {view.accuracy['CNN']:.1%} of the {n_val} validation digits right: {view.n_wrong} mistakes"
              f"{common}.{sure}")

# 5. CNN vs MLP -------------------------------------------------------------------------------------------------------
chrome.section("5 · CNN against an MLP with the same number of weights")
board = run.board.set_index("model")
st.markdown(f"The MLP ({board.loc['MLP', 'layers']}) sees the same 64 pixels as a flat row and trains through the same "
            "trainer, with the same optimizer, learning rate, batches and epochs.")
left, right = st.columns(2)
with left:
    show.chart(cnn_charts.validation, run.history, key="cnn-vs-mlp")
with right:
    show.chart(cnn_charts.shifted, view.shifted, key="cnn-shifted")
show.table(run.board, key="cnn-board")
moved = view.shifted[view.shifted["shift (pixels)"] == 1].set_index("model")["validation accuracy"]
cnn_acc, mlp_acc = board.loc["CNN", "validation accuracy"], board.loc["MLP", "validation accuracy"]
first = {m: "never" if e is None else f"epoch {e}" for m, e in run.reached.items()}
chrome.notice(f"with {board.loc['CNN', 'parameters']:,} weights against {board.loc['MLP', 'parameters']:,}, the CNN "
              f"reaches {cnn_acc:.1%} and the MLP {mlp_acc:.1%} ({100 * (cnn_acc - mlp_acc):+.1f} percentage points); "
              f"they first pass {cnn.TARGET:.0%} at {first['CNN']} and {first['MLP']}. Move every digit by one pixel and "
              f"the CNN keeps {moved['CNN']:.0%} while the MLP falls to {moved['MLP']:.0%}: a filter is the same at every "
              "position, so it still finds its stroke after a shift, while each MLP weight belongs to one pixel. Neither "
              "is shift-proof: 8 × 8 pixels leave little room around a digit, and pooling only forgives small moves.")
chrome.end()
