"""Regularization and data augmentation (slides 57-64): every remedy measured on one overfitting
baseline, and Albumentations moving an image together with its mask, boxes and keypoints."""
import inspect

import streamlit as st

from core import augment, charts, regularization
from ui import chrome, runners, show
from ui.parts import regularization as parts

chrome.page("regularization", """A network with far more weights than training examples can
learn the training set by heart, even the images a careless annotator labelled wrong: train
accuracy reaches 100% while validation accuracy stalls. That difference is **overfitting**. The
remedies of the slides (L2 / weight decay, early stopping, dropout, ensembles and data
augmentation) all make memorizing harder; here each one is trained on the same overfitting
baseline, with the same seed, and measured side by side.""")

# 1. The baseline ------------------------------------------------------------------------------
# One computation trains the baseline and every remedy: it runs where the last open one of
# sections 1 and 2 takes its knobs (a closed section 1's are what its controls kept, section 2's
# their defaults: section 1 shows only the baseline, which they do not change), and the baseline
# is drawn back in section 1.
if baseline_open := chrome.section(parts.BASELINE_SECTION, "57"):
    data_knobs = parts.baseline_knobs()
    baseline_area, run_area = st.container(), st.container()

# 2. Remedies ----------------------------------------------------------------------------------
if remedies_open := chrome.section("2 · Remedies, each on that baseline, trained side by side",
                                   "58-62"):
    if not baseline_open:
        data_knobs = parts.kept_baseline()
        parts.closed_baseline(data_knobs)
    remedy_knobs = parts.remedy_knobs()
    run_area = st.container()
if baseline_open or remedies_open:
    with run_area:
        remedies, shown = parts.remedies(runners.config(regularization.Remedies, **data_knobs,
                                                         **(remedy_knobs if remedies_open else {})))
if baseline_open:
    with baseline_area:
        left, right = st.columns(2)
        for column, metric in ((left, "accuracy"), (right, "loss")):
            with column:
                show.chart(charts.gap_curves, remedies.history, regularization.BASELINE, metric,
                           parts.DIGITS, data=remedies.history, key=f"gap-{metric}")
        parts.baseline_notice(remedies.baseline)
if remedies_open:
    left, right = st.columns(2)
    with left:
        show.chart(charts.curves, remedies.history, "accuracy", key="remedy-accuracy",
                   title="Accuracy per epoch, every network (digits)")
    with right:
        show.chart(charts.ranked_bars, remedies.board, "remedy", "validation accuracy",
                   key="remedy-bars", title="Validation accuracy per remedy (digits)")
    st.markdown("**Leaderboard** (accuracy at the epoch whose weights each network kept)")
    show.table(remedies.board, key="leaderboard")
    parts.trainer_messages(remedies.messages)
    parts.leaderboard_notice(remedies.facts, remedies.baseline)
    parts.inside_the_remedies(remedies, shown.ensemble, shown.dropout)

# 3. Weight decay and the weights --------------------------------------------------------------
if chrome.section("3 · What weight decay does to the weights",
                  "58") and chrome.needs(remedies_open, "2"):
    chrome.intro(parts.WEIGHTS_INTRO)
    show.chart(charts.weight_histograms, remedies.weights, key="weights",
               title="Every weight of the baseline and of the L2 network, as histograms")
    with show.folded("The weight decay step, as the hand-written engine runs it",
                     key="decay-code") as more:
        if more.open:
            st.code(parts.WEIGHT_DECAY_STEP, language="python")
    parts.weight_decay_notice(remedies.weight_facts)

# 4. Augmentation explorer ---------------------------------------------------------------------
if chrome.section("4 · Data augmentation with Albumentations: image, mask, boxes and keypoints "
                  "together", "62-64"):
    chrome.intro(parts.EXPLORER_INTRO)
    explorer = runners.run(augment.grid, parts.explorer_knobs(), label="Augmenting")
    parts.samples(explorer)
    with show.folded("Each sample's sampled parameters", key="augment-samples") as more:
        if more.open:
            show.table(explorer.params, key="aug-params")
    st.code(explorer.code, language="python", wrap_lines=True)
    parts.explorer_notice(explorer.facts)

# 5. Augmentation, measured --------------------------------------------------------------------
if chrome.section("5 · Does augmentation help? The same network with and without it, at equal SGD "
                  "updates", "62"):
    effect = runners.run(regularization.augmentation_effect, parts.effect_knobs(),
                         label="Training with and without augmentation")
    pictures, chart = st.columns([1, 3])
    pictures.image(effect.examples,
                   caption="4 digits (rows): the original, then its augmented copies",
                   width="stretch", clamp=True)
    with chart:
        show.chart(charts.update_curves, effect.history, "accuracy", parts.DIGITS,
                   key="effect-curves")
    show.table(effect.table, key="effect-table")
    with show.folded("How the digits are augmented (core.augment.augment_digits)",
                     key="augment-code") as more:
        if more.open:
            st.code(inspect.getsource(augment.augment_digits))
    parts.effect_notice(effect.facts)
chrome.end()
