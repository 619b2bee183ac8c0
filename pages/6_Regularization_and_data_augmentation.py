"""Regularization and data augmentation (slides 56-64): every remedy measured on one overfitting baseline, and
Albumentations moving an image together with its mask, boxes and keypoints."""
import inspect

import streamlit as st

from core import augment as ag, charts, regularization as rg
from ui import chrome, runners, show

chrome.page("Regularization and data augmentation", "56-64", """A network with far more weights than training
examples can learn the training set by heart: train accuracy reaches 100% while validation accuracy stalls. That
difference is **overfitting**. The remedies of the slides (L2 / weight decay, early stopping, dropout, ensembles and
data augmentation) all make memorizing harder; here each one is trained on the same overfitting baseline, with the
same seed, and measured side by side.""")
DECAYS = (0.001, 0.003, 0.01, 0.03, 0.1)

# 1. The baseline ---------------------------------------------------------------------------------------------------
chrome.section("1 · An overfitting baseline", "56")
c1, c2, _ = st.columns(3)
n_train = c1.select_slider("Training images (8x8 digits)", (50, 100, 200, 400), value=100, key="n-train",
                           bind="query-params",
                           help="Validation always uses the same 540 images.")
width = c2.select_slider("Units per hidden layer (2 hidden layers)", (32, 64, 128), value=64, key="width",
                         bind="query-params")
baseline_area = st.container()

# 2. Remedies ---------------------------------------------------------------------------------------------------------
chrome.section("2 · Remedies, each on that baseline, trained side by side", "57-61")
c1, c2, c3, c4, c5 = st.columns(5)
decay = c1.select_slider("L2: weight decay λ", DECAYS, value=0.01, key="decay", bind="query-params",
                         help="The loss gets + λ/2 · Σ w², so each step also shrinks every weight: w ← w − lr · λ · w.")
patience = c2.slider("Early stopping: patience (epochs)", 2, 30, 10, key="patience", bind="query-params")
dropout = c3.slider("Dropout rate", 0.1, 0.7, 0.3, 0.1, key="dropout", bind="query-params")
ensemble = c4.slider("Ensemble: networks (seeds)", 2, 8, 4, key="ensemble", bind="query-params")
copies = c5.slider("Augmentation: copies of each image", 1, 6, 3, key="copies", bind="query-params",
                   help="Shifted up to 1 pixel and rotated up to 10°, made once before training.")
combo = st.multiselect("Combination: remedies trained together in one more network", rg.COMBINABLE,
                       default=["L2", "early stopping"], key="combo", bind="query-params")
cfg = runners.config(rg.Remedies, n_train=n_train, width=width, weight_decay=decay, patience=patience, dropout=dropout,
                     ensemble=ensemble, copies=copies, combo=tuple(combo))
res = runners.run(rg.remedies, cfg, label="Training the baseline and every remedy")
board = res.board.set_index("remedy")
base, l2 = board.loc[rg.BASELINE], board.loc["L2 / weight decay"]

with baseline_area:
    left, right = st.columns(2)
    with left:
        show.chart(charts.gap_curves, res.history, rg.BASELINE, "accuracy", data=res.history, key="gap-accuracy")
    with right:
        show.chart(charts.gap_curves, res.history, rg.BASELINE, "loss", data=res.history, key="gap-loss")
    chrome.notice(f"with {res.n_train} training images and {int(base['parameters']):,} weights, the baseline reaches "
                  f"{base['train accuracy']:.0%} train accuracy but {base['validation accuracy']:.1%} on validation: a "
                  f"gap of {base['accuracy gap']:.1%}. Its validation loss ends {base['loss gap (validation − train)']:.2f} "
                  "above its train loss and climbs while the train loss keeps falling: it memorizes.")

left, right = st.columns(2)
with left:
    show.chart(charts.curves, res.history, "accuracy", key="remedy-accuracy")
with right:
    show.chart(charts.ranked_bars, res.board, "remedy", "validation accuracy", key="remedy-bars")
st.markdown("**Leaderboard** (accuracy at the epoch whose weights each network kept)")
show.table(res.board, key="leaderboard")
for variant, message in res.messages.items():  # early stopping is news, a blown-up loss is a warning
    (st.caption if message.startswith("Early stopping") else st.warning)(f"**{variant}:** {message}")
best = board["validation accuracy"].idxmax()
chrome.notice(f"the best validation accuracy here is **{best}** with {board['validation accuracy'][best]:.1%}, against "
              f"{base['validation accuracy']:.1%} for the baseline. L2 cuts the loss gap from "
              f"{base['loss gap (validation − train)']:.2f} to {l2['loss gap (validation − train)']:.2f}; its accuracy "
              f"changes by {l2['validation accuracy'] - base['validation accuracy']:+.1%}. Remedies are not free: the "
              f"ensemble costs {ensemble} times the parameters and the training time.")

left, right = st.columns(2)
with left:
    st.markdown("**Early stopping:** the solid rule marks the best validation loss, the dashed one where training stopped")
    stopped = res.history[res.history.variant.isin([rg.BASELINE, "early stopping"])]
    marks = res.stops[res.stops.variant == "early stopping"]
    show.chart(charts.marked_curves, stopped, marks, "loss", data=stopped, key="early-stopping")
    if not marks.empty:
        s = marks.set_index("event")["epoch"]
        st.caption(f"Stopped at epoch {s['stopped']}, {s['stopped'] - s['best validation loss: weights kept']} epochs "
                   f"after the best validation loss (epoch {s['best validation loss: weights kept']}): those weights "
                   "are restored.")
with right:
    st.markdown(f"**Ensemble:** {ensemble} networks that differ only in their seed, probabilities averaged")
    show.table(res.members, key="ensemble-table")
    st.markdown(f"**Dropout ({dropout:.0%}):** the trained network on the validation images, three passes per mode")
    show.table(res.dropout.rename(columns={"share of active units zeroed": "active units zeroed"}), key="dropout-table")
members = res.members["validation accuracy"]
train_mode = res.dropout[res.dropout["mode"].str.startswith("train")]
chrome.notice(f"the ensemble scores {members.iloc[-1]:.1%} while its members average {members.iloc[:-1].mean():.1%}: "
              "their mistakes differ, so averaging cancels some. Dropout switches off "
              f"{train_mode['share of active units zeroed'].mean():.0%} of the active hidden units in train mode, a "
              f"different set each pass (accuracy {train_mode['validation accuracy'].min():.1%} to "
              f"{train_mode['validation accuracy'].max():.1%}); in eval mode nothing is dropped and every pass agrees.")

# 3. Weight decay and the weights -------------------------------------------------------------------------------------
chrome.section("3 · What weight decay does to the weights", "58")
show.chart(charts.weight_histograms, res.weights, key="weights")
with st.expander("The weight decay step, as the hand-written engine runs it"):
    st.code("grad_W = grad_W + weight_decay * W   # the gradient of (λ/2)·ΣW²\nW = W - lr * grad_W", language="python")
norm_base, norm_l2 = res.norms[rg.BASELINE], res.norms["L2 / weight decay"]
chrome.notice(f"with λ = {decay:g} the weights' L2 norm is {norm_l2:.1f} instead of {norm_base:.1f} "
              f"({1 - norm_l2 / norm_base:.0%} smaller): the histogram is narrower and taller around 0. Small weights "
              "make a smoother function that cannot bend around every training image.")

# 4. Augmentation explorer --------------------------------------------------------------------------------------------
chrome.section("4 · Data augmentation with Albumentations: image, mask, boxes and keypoints together", "62-64")
st.markdown("Every geometric transform moves the **mask** (green tint), the **boxes** (yellow) and the **keypoints** (dots) "
            "with the image; colour transforms and coarse dropout change the pixels only. The mask comes from the "
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
kept = explorer.params["keypoints kept"].str.split(" of ").str[0].astype(int)
chrome.notice(f"the same seed ({seed}) gives the same {len(explorer.samples)} samples on every run; change it for "
              f"new draws. Keypoints that leave the frame are dropped: {int(kept.sum())} of "
              f"{int(explorer.params['keypoints kept'].str.split(' of ').str[1].astype(int).sum())} survived here. "
              "A label that did not move with the image would teach the network the wrong answer.")

# 5. Augmentation, measured -------------------------------------------------------------------------------------------
chrome.section("5 · Does augmentation help? The same network with and without it", "62")
c1, c2, c3 = st.columns(3)
effect_copies = c1.slider("Augmented copies of each image", 1, 8, 4, key="effect-copies", bind="query-params")
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
    show.chart(charts.curves, effect.history, "accuracy", key="effect-curves")
show.table(effect.table, key="effect-table")
with st.expander("How the digits are augmented (core.augment.augment_digits)"):
    st.code(inspect.getsource(ag.augment_digits))
e = effect.table.set_index("variant")["final validation accuracy"]
chrome.notice(f"the trainer takes one fixed training set, so augmentation here means {effect_copies} shifted and "
              f"rotated copies of each of the {effect.table['training images'].iloc[0]} images made before training (not new draws every epoch). Validation "
              f"accuracy ends at {e.iloc[1]:.1%} with augmentation against {e.iloc[0]:.1%} without; each epoch with "
              f"augmentation also sees {effect_copies + 1} times as many images.")
chrome.end()
