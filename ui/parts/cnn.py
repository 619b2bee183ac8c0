"""The CNN page's parts (pages/8_Zoo_CNN.py): its recipe controls, pictures and the sentences of its notices.

Every sentence is built from the facts core computed (core/zoo/cnn.py, core/zoo/cnn_lab.py); the page
passes the same facts to `chrome.notice`.
"""
from __future__ import annotations

import streamlit as st

from core.charts import cnn as cnn_charts
from core.zoo import cnn, cnn_lab
from ui import runners, show, zoo

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
