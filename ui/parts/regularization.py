"""The Regularization and data augmentation page's controls and sentences: the page places them, core computes
the facts."""
from __future__ import annotations

import streamlit as st

from core import augment, charts, regularization
from ui import chrome, runners, show, widgets
from ui.untrusted import escape

DECAYS = (0.001, 0.003, 0.01, 0.03, 0.1)
DEFAULT = regularization.Remedies()
WEIGHTS_INTRO = "Every weight of section 2's networks, as one histogram per network, to compare their sizes."
DIGITS = "8x8 digits"  # what every network of sections 1-3 learns (scikit-learn's digits)


BASELINE_SECTION = "1 · An overfitting baseline"  # its notice is drawn from section 2's place (the page says why)


def remedies(cfg: regularization.Remedies) -> tuple[regularization.RemediesResult, regularization.Remedies]:
    """Sections 1-3's networks and the config they are for: at once at the defaults, else on their button
    (REMEDIES_SECONDS: even the default takes about 4 s), the defaults' result shown until it is pressed."""
    return widgets.started_or_default(regularization.remedies, cfg, default=DEFAULT,
                                      seconds=regularization.remedies_seconds(cfg), key="remedies-run",
                                      label="Training the baseline and every remedy", start="Train every network")
EXPLORER_INTRO = (
    "Every geometric transform moves the **mask** (green tint), the **boxes** (yellow) and the **keypoints** (dots) "
    "with the image, and drops the keypoints it carries out of the frame; colour transforms change the pixels "
    "only. Coarse dropout blacks out rectangles of the image, leaves the mask as it is, and removes every "
    "keypoint inside a hole and every box the holes cover completely; a box they cover only in part stays, "
    "trimmed to the rectangle around its uncovered pixels (smaller only where a hole spans the box's whole "
    "width or height at one of its edges). The mask comes from the "
    "photo's own brightness (Otsu threshold), a box surrounds each of its largest regions, a keypoint marks "
    "each region's deepest pixel.")
WEIGHT_DECAY_STEP = "grad_W = grad_W + weight_decay * W   # the gradient of (λ/2)·ΣW²\nW = W - lr * grad_W"


# 1-2. The baseline and the remedies ---------------------------------------------------------------------------------


def baseline_knobs() -> dict[str, object]:
    """The overfitting baseline's data and width: training images, wrong labels, units per layer."""
    chrome.intro("A network with two hidden layers trained on few 8x8 digits, a share of them with wrong labels, "
                "for long enough to overfit: its training and validation curves, the gap between them shaded.")
    c1, c2, c3 = st.columns(3)
    n_train = c1.select_slider("Training images (8x8 digits)", (50, 100, 200, 400), value=DEFAULT.n_train,
                               key="n-train", bind="query-params",
                               help=f"Validation always uses the same {regularization.VALIDATION_IMAGES} images.")
    noise = c2.select_slider("Wrong labels (share of the training images)", (0.0, 0.1, 0.2, 0.3),
                             value=DEFAULT.label_noise, key="label-noise", bind="query-params",
                             format_func=lambda v: f"{v:.0%}",
                             help="Each of these images gets another, wrong digit as its label; validation labels "
                                  "stay right.")
    width = c3.select_slider("Units per hidden layer (2 hidden layers)", (32, 64, 128), value=DEFAULT.width,
                             key="width", bind="query-params")
    return {"n_train": n_train, "label_noise": noise, "width": width}


def kept_baseline() -> dict[str, object]:
    """Section 1's settings while it is closed: what its controls keep in the session (their defaults at first)."""
    return {"n_train": st.session_state.get("n-train", DEFAULT.n_train),
            "label_noise": st.session_state.get("label-noise", DEFAULT.label_noise),
            "width": st.session_state.get("width", DEFAULT.width)}


def closed_baseline(knobs: dict[str, object]) -> None:
    """In section 2 while section 1 is closed: the baseline its remedies are trained on."""
    st.caption(f"Section 1 is closed; the baseline here: {knobs['n_train']} training images, "
               f"{knobs['label_noise']:.0%} of them with wrong labels, {knobs['width']} units per hidden layer.")


def remedy_knobs() -> dict[str, object]:
    """One knob per remedy, and the remedies trained together in one more network."""
    chrome.intro("The same baseline once per remedy (L2 weight decay, early stopping, dropout, an ensemble, data "
                "augmentation) and once with a combination, same seed, trained side by side on the same digits.")
    c1, c2, c3, c4, c5 = st.columns(5)
    decay = c1.select_slider("L2: weight decay λ", DECAYS, value=DEFAULT.weight_decay, key="decay",
                             bind="query-params",
                             help="The loss gets + λ/2 · Σ w², so each step also shrinks every weight: "
                                  "w ← w − lr · λ · w.")
    patience = c2.slider("Early stopping: patience (epochs)", 2, 30, DEFAULT.patience, key="patience",
                         bind="query-params")
    dropout = c3.slider("Dropout rate", 0.1, 0.7, DEFAULT.dropout, 0.1, key="dropout", bind="query-params")
    ensemble = c4.slider("Ensemble: networks (seeds)", 2, 8, DEFAULT.ensemble, key="ensemble", bind="query-params")
    copies = c5.slider("Augmentation: copies of each image", 1, 6, DEFAULT.copies, key="copies",
                       bind="query-params",
                       help="Shifted up to 1 pixel and rotated up to 10°, made once before training; trained in "
                            "batches copies + 1 times as large, so it takes as many SGD updates as the baseline.")
    combo = st.multiselect("Combination: remedies trained together in one more network",
                           regularization.COMBINABLE, default=list(DEFAULT.combo), key="combo", bind="query-params")
    return {"weight_decay": decay, "patience": patience, "dropout": dropout, "ensemble": ensemble, "copies": copies,
            "combo": tuple(combo)}


def baseline_notice(base: regularization.BaselineFacts) -> None:
    """The baseline's accuracy and loss gaps, and whether it memorizes."""
    wrong = (f", {base.n_wrong_labels} of them labelled with a wrong digit" if base.n_wrong_labels else
             ", all labelled right")
    verdict = ("it memorizes." if base.memorizes else "a small rise, not yet a sign that it memorizes."
               if base.val_loss_rise_small else "it overfits, though it does not fit every training image yet.")
    climb = (f"Its validation loss was lowest at epoch {base.val_loss_low_epoch} and has since climbed by "
             f"{base.val_loss_rise:.2f} ({base.val_loss_rise_share:.0%} above that minimum) while the train loss "
             f"fell by another {base.train_loss_fall_after:.2f}: {verdict}"
             if base.val_loss_rise > 0 and base.train_loss_fall_after > 0 else
             f"Its validation loss ends {base.base_loss_gap:.2f} above its train loss.")
    chrome.notice(f"with {base.n_train} training images{wrong}, and {base.parameters:,} weights, the baseline "
                  f"reaches {base.base_train_accuracy:.0%} train accuracy but {base.base_val_accuracy:.1%} on "
                  f"validation: a gap of {base.base_accuracy_gap_points:.1f} percentage points. {climb}", base,
                  section=BASELINE_SECTION)


def trainer_messages(messages: dict[str, str]) -> None:
    """The trainer's sentences: early stopping is news (a caption), a blown-up loss is a warning."""
    for variant, message in messages.items():
        (st.caption if message.startswith("Early stopping") else st.warning)(f"**{variant}:** {message}")


def leaderboard_notice(facts: regularization.RemedyFacts, base: regularization.BaselineFacts) -> None:
    """Which remedies beat the baseline, by how much, and what they cost."""
    each = " respectively" if facts.narrow_count > 1 else ""
    just = (f"only just: {facts.narrow_names}, by {facts.narrow_margins} of {facts.validation_images} "
            f"digits{each}" if facts.narrow_count else "")
    above = (f": {', '.join(facts.wide_winners)}" + (f"; {just}" if just else "") if facts.wide_winners else
             f" {just}" if just else ": none of them")
    below = f"; not above it: {', '.join(facts.losers)}" if facts.losers else ""
    l2_gap = "cuts" if facts.l2_loss_gap < facts.baseline_loss_gap else "does not cut"
    same_steps = (f"the same {facts.augmentation_updates} SGD updates as the baseline: more images, not more "
                  "training" if facts.augmentation_updates == facts.baseline_updates else
                  f"{facts.augmentation_updates} SGD updates against the baseline's {facts.baseline_updates}")
    copied = (" (its copies keep their images' labels, the wrong ones too)"
              if facts.augmentation_accuracy <= facts.baseline_accuracy and base.n_wrong_labels else "")
    chrome.notice(f"the best validation accuracy here is **{facts.best_remedy}** with {facts.best_accuracy:.1%}, "
                  f"against {facts.baseline_accuracy:.1%} for the baseline. Above the baseline{above}{below}. L2 "
                  f"{l2_gap} the loss gap ({facts.baseline_loss_gap:.2f} to {facts.l2_loss_gap:.2f}). "
                  f"Augmentation{copied} sees {facts.augmentation_images} images per epoch in larger batches, so it "
                  f"takes {same_steps}. Remedies are not free: the ensemble costs {facts.ensemble_size} times the "
                  f"parameters ({facts.ensemble_parameters:,} instead of {facts.single_parameters:,}) and the "
                  "training time.", facts, base)


def inside_the_remedies(result: regularization.RemediesResult, ensemble: int, dropout: float) -> None:
    """Early stopping's curves, the ensemble's members and dropout's passes in both modes."""
    inside, facts = result.inside, result.facts
    left, right = st.columns(2)
    with left:
        st.markdown("**Early stopping:** the solid rule marks the best validation loss, the dashed one where "
                    "training stopped")
        show.chart(charts.marked_curves, result.early_history, result.stops, "loss", data=result.early_history,
                   title="Loss per epoch, early stopping (digits)", key="early-stopping")
        if inside.es_stopped_epoch:
            st.caption(f"Stopped at epoch {inside.es_stopped_epoch}, {inside.es_patience} epochs after the best "
                       f"validation loss (epoch {inside.es_best_epoch}): those weights are restored.")
    with right:
        st.markdown(f"**Ensemble:** {ensemble} networks that differ only in their seed, probabilities averaged")
        show.table(result.members, key="ensemble-table")
        st.markdown(f"**Dropout ({dropout:.0%}):** the trained network on the validation images, three passes per "
                    "mode")
        show.table(result.dropout, key="dropout-table")
    averaging = ("their mistakes differ, so averaging cancels some" if inside.ensemble_beats_members_mean else
                 "their mistakes are too alike here for averaging to help")
    spread = (f"accuracy {inside.dropout_train_low:.1%} to {inside.dropout_train_high:.1%}"
              if inside.dropout_train_low < inside.dropout_train_high else
              f"accuracy {inside.dropout_train_low:.1%} each time")
    agree = "and every pass agrees" if inside.dropout_eval_passes_agree else "yet the passes differ"
    chrome.notice(f"the ensemble scores {facts.ensemble_accuracy:.1%} while its members average "
                  f"{inside.members_mean_accuracy:.1%}: {averaging}. Dropout switches off "
                  f"{inside.dropout_zeroed_train:.0%} of the active hidden units in train mode, a different set "
                  f"each pass ({spread}); in eval mode it drops {inside.dropout_zeroed_eval:.0%} {agree}.",
                  facts, inside)


# 3. Weight decay and the weights ------------------------------------------------------------------------------------


def weight_decay_notice(weights: regularization.WeightFacts) -> None:
    """How much L2 shrank the weights' norm, and what it did to validation accuracy."""
    narrower = ("the histogram is narrower and taller around 0" if weights.norm_shrink > 0 else
                "the histogram is not narrower")
    chrome.notice(f"with λ = {weights.decay:g} the weights' L2 norm is {weights.norm_l2:.1f} instead of "
                  f"{weights.norm_base:.1f} ({weights.norm_shrink:.0%} smaller): {narrower}, and the validation "
                  f"accuracy changes by {weights.l2_accuracy_change_points:+.1f} percentage points. Small weights "
                  "make a smoother function that cannot bend around every training image; too large a λ shrinks "
                  "them until the network no longer fits even the right labels.", weights)


# 4. Augmentation explorer -------------------------------------------------------------------------------------------


def explorer_knobs() -> augment.Explorer:
    """The transforms in order with one slider each, the seed, the number of samples and an optional upload."""
    names = st.multiselect("Transforms (in this order)", list(augment.TRANSFORMS), key="aug-transforms",
                           bind="query-params", default=["horizontal flip", "rotate", "brightness/contrast"],
                           format_func=lambda n: f"{n} ({augment.TRANSFORMS[n][0]})")
    chosen = []
    for column, name in zip(st.columns(max(len(names), 1)) if names else [], names):
        _, label, default, lo, hi, step, _ = augment.TRANSFORMS[name]
        chosen.append((name, column.slider(f"{name}: {label}", lo, hi, default, step, key=f"aug-{name}",
                                           bind="query-params")))
    c1, c2, _ = st.columns(3)
    seed = c1.number_input("Seed", 0, 2**31 - 1, 0, key="aug-seed", bind="query-params")
    n_samples = c2.select_slider("Samples", (4, 8, 12, 16), value=8, key="aug-samples", bind="query-params")
    image_name, image = _upload()
    return runners.config(augment.Explorer, transforms=tuple(chosen), seed=int(seed), n_samples=n_samples,
                          image_name=image_name, image=image)


def _upload() -> tuple[str, bytes]:
    """The student's image as (name, bytes), or ("", b"") for the bundled photo (also when it cannot be read)."""
    upload = st.file_uploader(f"Your own image (PNG or JPEG, at most {augment.MAX_BYTES // 2**20} MB and 4000 x "
                              "4000 pixels)", key="aug-upload", max_upload_size=augment.MAX_BYTES // 2**20)
    if upload is None:
        return "", b""
    try:
        runners.read_upload(augment.read_image, upload.name, upload.getvalue())  # checked once per content
    except ValueError as error:
        st.error(f"{escape(str(error))} The bundled photo is used instead.")
        return "", b""
    return upload.name, upload.getvalue()


def samples(result: augment.GridResult) -> None:
    """The original, then the samples four to a row."""
    left, right = st.columns([1, 3])
    left.image(result.original, caption="original", width="content")  # wrapped alone, not stretched across
    with right:
        for start in range(0, len(result.samples), 4):
            for column, i in zip(st.columns(4), range(start, min(start + 4, len(result.samples)))):
                column.image(result.samples[i], caption=f"sample {i + 1}", width="stretch")


def explorer_notice(kept: augment.GridFacts) -> None:
    """What the same seed gives, and which keypoints and boxes survived."""
    lost = (f"{kept.keypoints_left_frame} left the frame (or reached its very edge) under a geometric transform "
            f"and {kept.keypoints_in_holes} fell inside a coarse-dropout hole"
            if kept.keypoints_left_frame + kept.keypoints_in_holes else "none was lost")
    chrome.notice(f"the same seed ({kept.seed}) gives the same {kept.n_samples} samples on every run; change it for "
                  f"new draws. {kept.keypoints_kept} of {kept.keypoints_total} keypoints survived: {lost}; "
                  f"{kept.boxes_kept} of {kept.boxes_total} boxes were kept. A label that did not move with the "
                  "image would teach the network the wrong answer.", kept)


# 5. Augmentation, measured ------------------------------------------------------------------------------------------


def effect_knobs() -> regularization.AugEffect:
    """How many augmented copies, how far they shift and rotate."""
    st.markdown("The same small network on the 8x8 digits, trained with and without augmented copies (shifted and "
                "rotated) of each training image, compared at equal numbers of SGD updates.")
    c1, c2, c3 = st.columns(3)
    copies = c1.slider("Augmented copies of each image", 1, 10, regularization.AugEffect().copies,
                       key="effect-copies", bind="query-params")
    shift = c2.select_slider("Largest shift (pixels)", (0.0, 0.5, 1.0, 1.5, 2.0), value=1.0, key="effect-shift",
                             bind="query-params")
    degrees = c3.slider("Largest rotation (degrees)", 0, 30, 10, 5, key="effect-degrees", bind="query-params")
    return runners.config(regularization.AugEffect, copies=copies, max_shift=shift, max_degrees=float(degrees))


def effect_notice(runs: regularization.AugEffectFacts) -> None:
    """Equal SGD updates, the passes each run made, and the gain."""
    steps = (f"both runs take the same {runs.updates_with} SGD updates" if runs.updates_with == runs.updates_without
             else f"the runs take {runs.updates_with} and {runs.updates_without} SGD updates")
    outcome = (f"a gain of {runs.augmentation_gain_points:+.1f} percentage points" if runs.augmentation_gain > 0
               else "no gain here")
    passes = (f"both use batches of {runs.batch_with}, so the augmented run goes through its {runs.images_with} "
              f"images {runs.epochs_with} times and the plain one through its {runs.originals} images "
              f"{runs.epochs_without} times" if runs.batch_with == runs.batch_without else
              f"the augmented run goes through its {runs.images_with} images {runs.epochs_with} times in batches "
              f"of {runs.batch_with}, the plain one through its {runs.originals} images {runs.epochs_without} "
              f"times in batches of {runs.batch_without}")
    chrome.notice(f"the trainer takes one fixed training set, so augmentation here means {runs.effect_copies} "
                  f"shifted and rotated copies of each of the {runs.originals} images, made before training (not "
                  f"new draws every epoch). For a fair comparison {steps}: {passes}. Validation accuracy ends at "
                  f"{runs.accuracy_with:.1%} with augmentation against {runs.accuracy_without:.1%} without: "
                  f"{outcome}.", runs)
