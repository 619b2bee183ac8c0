"""Regularization and data augmentation (slides 57-64): every remedy measured on one overfitting baseline, and
Albumentations moving an image together with its mask, boxes and keypoints."""
import inspect

import streamlit as st

from core import augment as ag, charts, regularization as rg
from ui import chrome, runners, show

chrome.page("Regularization and data augmentation", "57-64", """A network with far more weights than training
examples can learn the training set by heart, even the images a careless annotator labelled wrong: train accuracy
reaches 100% while validation accuracy stalls. That difference is **overfitting**. The remedies of the slides
(L2 / weight decay, early stopping, dropout, ensembles and data augmentation) all make memorizing harder; here each
one is trained on the same overfitting baseline, with the same seed, and measured side by side.""")
DECAYS = (0.001, 0.003, 0.01, 0.03, 0.1)
DEFAULT = rg.Remedies()

# 1. The baseline ---------------------------------------------------------------------------------------------------
chrome.section("1 · An overfitting baseline", "57")
c1, c2, c3 = st.columns(3)
n_train = c1.select_slider("Training images (8x8 digits)", (50, 100, 200, 400), value=DEFAULT.n_train, key="n-train",
                           bind="query-params",
                           help=f"Validation always uses the same {rg.VALIDATION_IMAGES} images.")
noise = c2.select_slider("Wrong labels (share of the training images)", (0.0, 0.1, 0.2, 0.3), value=DEFAULT.label_noise,
                         key="label-noise", bind="query-params", format_func=lambda v: f"{v:.0%}",
                         help="Each of these images gets another, wrong digit as its label; validation labels stay "
                              "right.")
width = c3.select_slider("Units per hidden layer (2 hidden layers)", (32, 64, 128), value=DEFAULT.width, key="width",
                         bind="query-params")
baseline_area = st.container()
# Section 2's heading is drawn above its knobs but called after section 1's notice, so that the notice's facts are
# recorded under section 1 (chrome.notice files them under the latest chrome.section).
remedies_heading, knobs = st.container(), st.container()

# 2. Remedies ---------------------------------------------------------------------------------------------------------
with knobs:
    c1, c2, c3, c4, c5 = st.columns(5)
    decay = c1.select_slider("L2: weight decay λ", DECAYS, value=DEFAULT.weight_decay, key="decay",
                             bind="query-params",
                             help="The loss gets + λ/2 · Σ w², so each step also shrinks every weight: "
                                  "w ← w − lr · λ · w.")
    patience = c2.slider("Early stopping: patience (epochs)", 2, 30, DEFAULT.patience, key="patience",
                         bind="query-params")
    dropout = c3.slider("Dropout rate", 0.1, 0.7, DEFAULT.dropout, 0.1, key="dropout", bind="query-params")
    ensemble = c4.slider("Ensemble: networks (seeds)", 2, 8, DEFAULT.ensemble, key="ensemble", bind="query-params")
    copies = c5.slider("Augmentation: copies of each image", 1, 6, DEFAULT.copies, key="copies", bind="query-params",
                       help="Shifted up to 1 pixel and rotated up to 10°, made once before training; trained in "
                            "batches copies + 1 times as large, so it takes as many SGD updates as the baseline.")
    combo = st.multiselect("Combination: remedies trained together in one more network", rg.COMBINABLE,
                           default=list(DEFAULT.combo), key="combo", bind="query-params")
cfg = runners.config(rg.Remedies, n_train=n_train, label_noise=noise, width=width, weight_decay=decay,
                     patience=patience, dropout=dropout, ensemble=ensemble, copies=copies, combo=tuple(combo))
res = runners.run(rg.remedies, cfg, label="Training the baseline and every remedy")
b, f, inside, w = res.baseline, res.facts, res.inside, res.weight_facts

with baseline_area:
    left, right = st.columns(2)
    with left:
        show.chart(charts.gap_curves, res.history, rg.BASELINE, "accuracy", data=res.history, key="gap-accuracy")
    with right:
        show.chart(charts.gap_curves, res.history, rg.BASELINE, "loss", data=res.history, key="gap-loss")
    wrong = f", {b.n_wrong_labels} of them labelled with a wrong digit" if b.n_wrong_labels else ", all labelled right"
    verdict = ("it memorizes." if b.memorizes else "a small rise, not yet a sign that it memorizes."
               if b.val_loss_rise_small else "it overfits, though it does not fit every training image yet.")
    climb = (f"Its validation loss was lowest at epoch {b.val_loss_low_epoch} and has since climbed by "
             f"{b.val_loss_rise:.2f} ({b.val_loss_rise_share:.0%} above that minimum) while the train loss fell by "
             f"another {b.train_loss_fall_after:.2f}: {verdict}"
             if b.val_loss_rise > 0 and b.train_loss_fall_after > 0 else
             f"Its validation loss ends {b.base_loss_gap:.2f} above its train loss.")
    chrome.notice(f"with {b.n_train} training images{wrong}, and {b.parameters:,} weights, the baseline reaches "
                  f"{b.base_train_accuracy:.0%} train accuracy but {b.base_val_accuracy:.1%} on validation: a gap of "
                  f"{b.base_accuracy_gap_points:.1f} percentage points. {climb}", b)
with remedies_heading:
    chrome.section("2 · Remedies, each on that baseline, trained side by side", "58-62")

left, right = st.columns(2)
with left:
    show.chart(charts.curves, res.history, "accuracy", key="remedy-accuracy")
with right:
    show.chart(charts.ranked_bars, res.board, "remedy", "validation accuracy", key="remedy-bars")
st.markdown("**Leaderboard** (accuracy at the epoch whose weights each network kept)")
show.table(res.board, key="leaderboard")
for variant, message in res.messages.items():  # early stopping is news, a blown-up loss is a warning
    (st.caption if message.startswith("Early stopping") else st.warning)(f"**{variant}:** {message}")
each = " respectively" if f.narrow_count > 1 else ""
just = (f"only just: {f.narrow_names}, by {f.narrow_margins} of {f.validation_images} digits{each}"
        if f.narrow_count else "")
above = (f": {', '.join(f.wide_winners)}" + (f"; {just}" if just else "") if f.wide_winners else
         f" {just}" if just else ": none of them")
below = f"; not above it: {', '.join(f.losers)}" if f.losers else ""
l2_gap = "cuts" if f.l2_loss_gap < f.baseline_loss_gap else "does not cut"
same_steps = (f"the same {f.augmentation_updates} SGD updates as the baseline: more images, not more training"
              if f.augmentation_updates == f.baseline_updates else
              f"{f.augmentation_updates} SGD updates against the baseline's {f.baseline_updates}")
copied = (" (its copies keep their images' labels, the wrong ones too)"
          if f.augmentation_accuracy <= f.baseline_accuracy and b.n_wrong_labels else "")
chrome.notice(f"the best validation accuracy here is **{f.best_remedy}** with {f.best_accuracy:.1%}, against "
              f"{f.baseline_accuracy:.1%} for the baseline. Above the baseline{above}{below}. L2 {l2_gap} the "
              f"loss gap ({f.baseline_loss_gap:.2f} to {f.l2_loss_gap:.2f}). Augmentation{copied} sees "
              f"{f.augmentation_images} images per epoch in larger batches, so it takes {same_steps}. Remedies are "
              f"not free: the ensemble costs {f.ensemble_size} times the parameters ({f.ensemble_parameters:,} instead "
              f"of {f.single_parameters:,}) and the training time.", f, b)

left, right = st.columns(2)
with left:
    st.markdown("**Early stopping:** the solid rule marks the best validation loss, the dashed one where training stopped")
    show.chart(charts.marked_curves, res.early_history, res.stops, "loss", data=res.early_history, key="early-stopping")
    if inside.es_stopped_epoch:
        st.caption(f"Stopped at epoch {inside.es_stopped_epoch}, {inside.es_patience} epochs after the best validation "
                   f"loss (epoch {inside.es_best_epoch}): those weights are restored.")
with right:
    st.markdown(f"**Ensemble:** {ensemble} networks that differ only in their seed, probabilities averaged")
    show.table(res.members, key="ensemble-table")
    st.markdown(f"**Dropout ({dropout:.0%}):** the trained network on the validation images, three passes per mode")
    show.table(res.dropout, key="dropout-table")
averaging = ("their mistakes differ, so averaging cancels some" if inside.ensemble_beats_members_mean else
             "their mistakes are too alike here for averaging to help")
spread = (f"accuracy {inside.dropout_train_low:.1%} to {inside.dropout_train_high:.1%}"
          if inside.dropout_train_low < inside.dropout_train_high else
          f"accuracy {inside.dropout_train_low:.1%} each time")
agree = "and every pass agrees" if inside.dropout_eval_passes_agree else "yet the passes differ"
chrome.notice(f"the ensemble scores {f.ensemble_accuracy:.1%} while its members average "
              f"{inside.members_mean_accuracy:.1%}: {averaging}. Dropout switches off "
              f"{inside.dropout_zeroed_train:.0%} of the active hidden units in train mode, a different set each pass "
              f"({spread}); in eval mode it drops {inside.dropout_zeroed_eval:.0%} {agree}.", f, inside)

# 3. Weight decay and the weights -------------------------------------------------------------------------------------
chrome.section("3 · What weight decay does to the weights", "58")
show.chart(charts.weight_histograms, res.weights, key="weights")
with st.expander("The weight decay step, as the hand-written engine runs it"):
    st.code("grad_W = grad_W + weight_decay * W   # the gradient of (λ/2)·ΣW²\nW = W - lr * grad_W", language="python")
narrower = ("the histogram is narrower and taller around 0" if w.norm_shrink > 0 else
            "the histogram is not narrower")
chrome.notice(f"with λ = {w.decay:g} the weights' L2 norm is {w.norm_l2:.1f} instead of {w.norm_base:.1f} "
              f"({w.norm_shrink:.0%} smaller): {narrower}, and the validation accuracy changes by "
              f"{w.l2_accuracy_change_points:+.1f} percentage points. Small weights make a smoother function that "
              "cannot bend around every training image; too large a λ shrinks them until the network no longer fits "
              "even the right labels.", w)

# 4. Augmentation explorer --------------------------------------------------------------------------------------------
chrome.section("4 · Data augmentation with Albumentations: image, mask, boxes and keypoints together", "62-64")
st.markdown("Every geometric transform moves the **mask** (green tint), the **boxes** (yellow) and the **keypoints** (dots) "
            "with the image, and drops the keypoints it carries out of the frame; colour transforms change the pixels "
            "only. Coarse dropout blacks out rectangles of the image, leaves the mask as it is, and removes every "
            "keypoint inside a hole and every box the holes cover completely; a box they cover only in part stays, "
            "trimmed to the rectangle around its uncovered pixels (smaller only where a hole spans the box's whole "
            "width or height at one of its edges). The mask comes from the "
            "photo's own brightness (Otsu threshold), a box surrounds each of its largest regions, a keypoint marks "
            "each region's deepest pixel.")
names = st.multiselect("Transforms (in this order)", list(ag.TRANSFORMS), key="aug-transforms", bind="query-params",
                       default=["horizontal flip", "rotate", "brightness/contrast"],
                       format_func=lambda n: f"{n} ({ag.TRANSFORMS[n][0]})")
chosen = []
for column, name in zip(st.columns(max(len(names), 1)) if names else [], names):
    _, label, default, lo, hi, step, _ = ag.TRANSFORMS[name]
    chosen.append((name, column.slider(f"{name}: {label}", lo, hi, default, step, key=f"aug-{name}",
                                       bind="query-params")))
c1, c2, _ = st.columns(3)
seed = c1.number_input("Seed", 0, 2**31 - 1, 0, key="aug-seed", bind="query-params")
n_samples = c2.select_slider("Samples", (4, 8, 12, 16), value=8, key="aug-samples", bind="query-params")
upload = st.file_uploader(f"Your own image (PNG or JPEG, at most {ag.MAX_BYTES // 2**20} MB and 4000 x 4000 pixels)",
                          key="aug-upload", max_upload_size=ag.MAX_BYTES // 2**20)
image_name, image = "", b""
if upload is not None:
    try:
        ag.read_image(upload.name, upload.getvalue())
        image_name, image = upload.name, upload.getvalue()
    except ValueError as error:
        st.error(f"{error} The bundled photo is used instead.")
explorer = runners.run(ag.grid, runners.config(ag.Explorer, transforms=tuple(chosen), seed=int(seed),
                                               n_samples=n_samples, image_name=image_name, image=image),
                       label="Augmenting")
left, right = st.columns([1, 3])
left.image(explorer.original, caption="original", width="stretch")
with right:
    for start in range(0, len(explorer.samples), 4):
        for column, i in zip(st.columns(4), range(start, min(start + 4, len(explorer.samples)))):
            column.image(explorer.samples[i], caption=f"sample {i + 1}", width="stretch")
with st.expander("Each sample's sampled parameters"):
    show.table(explorer.params, key="aug-params")
st.code(explorer.code, language="python")
g = explorer.facts
lost = (f"{g.keypoints_left_frame} left the frame (or reached its very edge) under a geometric transform and "
        f"{g.keypoints_in_holes} fell inside a coarse-dropout hole"
        if g.keypoints_left_frame + g.keypoints_in_holes else "none was lost")
chrome.notice(f"the same seed ({g.seed}) gives the same {g.n_samples} samples on every run; change it for new draws. "
              f"{g.keypoints_kept} of {g.keypoints_total} keypoints survived: {lost}; {g.boxes_kept} of "
              f"{g.boxes_total} boxes were kept. A label that did not move with the image would teach the network the "
              "wrong answer.", g)

# 5. Augmentation, measured -------------------------------------------------------------------------------------------
chrome.section("5 · Does augmentation help? The same network with and without it, at equal SGD updates", "62")
c1, c2, c3 = st.columns(3)
effect_copies = c1.slider("Augmented copies of each image", 1, 10, rg.AugEffect().copies, key="effect-copies",
                          bind="query-params")
shift = c2.select_slider("Largest shift (pixels)", (0.0, 0.5, 1.0, 1.5, 2.0), value=1.0, key="effect-shift",
                         bind="query-params")
degrees = c3.slider("Largest rotation (degrees)", 0, 30, 10, 5, key="effect-degrees", bind="query-params")
effect = runners.run(rg.augmentation_effect, runners.config(rg.AugEffect, copies=effect_copies, max_shift=shift,
                                                            max_degrees=float(degrees)),
                     label="Training with and without augmentation")
pic, chart = st.columns([1, 3])
pic.image(effect.examples, caption="4 digits (rows): the original, then its augmented copies", width="stretch",
          clamp=True)
with chart:
    show.chart(charts.update_curves, effect.history, "accuracy", key="effect-curves")
show.table(effect.table, key="effect-table")
with st.expander("How the digits are augmented (core.augment.augment_digits)"):
    st.code(inspect.getsource(ag.augment_digits))
a = effect.facts
steps = (f"both runs take the same {a.updates_with} SGD updates" if a.updates_with == a.updates_without else
         f"the runs take {a.updates_with} and {a.updates_without} SGD updates")
outcome = (f"a gain of {a.augmentation_gain_points:+.1f} percentage points" if a.augmentation_gain > 0 else
           "no gain here")
passes = (f"both use batches of {a.batch_with}, so the augmented run goes through its {a.images_with} images "
          f"{a.epochs_with} times and the plain one through its {a.originals} images {a.epochs_without} times"
          if a.batch_with == a.batch_without else
          f"the augmented run goes through its {a.images_with} images {a.epochs_with} times in batches of "
          f"{a.batch_with}, the plain one through its {a.originals} images {a.epochs_without} times in batches of "
          f"{a.batch_without}")
chrome.notice(f"the trainer takes one fixed training set, so augmentation here means {a.effect_copies} shifted and "
              f"rotated copies of each of the {a.originals} images, made before training (not new draws every "
              f"epoch). For a fair comparison {steps}: {passes}. Validation accuracy ends at "
              f"{a.accuracy_with:.1%} with augmentation against {a.accuracy_without:.1%} without: {outcome}.", a)
chrome.end()
