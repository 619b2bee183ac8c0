"""Preprocessing (slides 33-35): normalize vs standardize, what scaling does to training, leaks, outliers, images, your data."""
import inspect

import streamlit as st

from core import charts, image_scaling, preprocessing as pp, uploads
from core.data import LABELS as DATA_LABELS
from ui import chrome, runners, show

chrome.page("Preprocessing", "33-35", """Features arrive in their own units: a wine's alcohol is around 13 (%), its
proline around 750 (mg/L). A network's first layer adds them up with one learning rate for all weights, so the
biggest numbers dominate. **Normalize** (min-max) squeezes each feature into [0, 1]; **standardize** shifts it to
mean 0 and stretches it to standard deviation 1. Both are fitted on the training rows only, then applied to every row.""")
LRS = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)

# 1. The same table, three ways -----------------------------------------------------------------------
chrome.section("1 · Normalize or standardize: one table, three ways", "34-35")
table = st.columns(3)[0].selectbox("Table (from scikit-learn)", uploads.TABLES, format_func=DATA_LABELS.get, key="table",
                                   bind="query-params")
source = pp.Source(table)
left, right = st.columns(2)
left.latex(r"\text{normalize: } x' = \frac{x - \min(x)}{\max(x) - \min(x)} \in [0, 1]")
right.latex(r"\text{standardize: } x' = \frac{x - \mu}{\sigma}, \quad \mu = \operatorname{mean}(x),\ \sigma = \operatorname{std}(x)")
view = runners.run(pp.scaling_view, pp.ScalingView(source), label="Scaling the table")
show.chart(charts.feature_boxes, view.boxes, key="boxes")
with st.expander(f"The numbers each scaler fitted, per feature (from the {view.n_train} training rows)"):
    show.table(view.params, key="params")
    st.code(inspect.getsource(pp.fit_scaler) + "\n" + inspect.getsource(pp.transform))
p = view.params.set_index("feature")
chrome.notice(f"raw, **{view.widest}** spans {p['min'][view.widest]:.4g} to {p['max'][view.widest]:.4g} while "
              f"**{view.narrowest}** spans {p['min'][view.narrowest]:.3g} to {p['max'][view.narrowest]:.3g}: in the left "
              "panel the small features are squashed against 0. After min-max every feature runs from exactly 0 to 1; "
              "after standardization every feature has mean 0 and standard deviation 1, and the boxes line up around 0.")

# 2. The effect on training ------------------------------------------------------------------------------
chrome.section("2 · The effect on training: same network, same seed, same learning rate")
c1, c2, c3 = st.columns(3)
lr = c1.select_slider("Learning rate (log scale)", LRS, value=0.03, key="race-lr", bind="query-params",
                      help="Plain SGD, batches of 16: w ← w − lr · gradient.")
target = c2.select_slider("Target validation accuracy", (0.8, 0.85, 0.9, 0.95), value=0.9, key="race-target",
                          bind="query-params", format_func="{:.0%}".format)
epochs = c3.slider("Epochs", 20, 200, 60, 10, key="race-epochs", bind="query-params")
race_cfg = runners.config(pp.ScalingRace, source=source, lr=lr, target=target, epochs=epochs)
race = runners.run(pp.race, race_cfg, label="Training on raw, normalized and standardized inputs")
left, right = st.columns(2)
with left:
    show.chart(charts.curves, race.history, "loss", log_y=True, key="race-loss")
with right:
    show.chart(charts.curves, race.history, "accuracy", key="race-accuracy")
for variant, message in race.messages.items():
    st.warning(f"**{variant}:** {message}")
show.table(race.table, key="race-table")
raw, std = pp.LABELS["raw"], pp.LABELS["standard"]
acc = race.table.set_index("variant")["final validation accuracy"]
steps = {v: f"epoch {e}" if e is not None else "never" for v, e in race.reached.items()}
guess = (", the share of the most common class: the raw network answers one class for everything"
         if acc[raw] <= race.majority + 1e-6 else "")
chrome.notice(f"at learning rate {lr:g} the standardized inputs reach {target:.0%} validation accuracy at "
              f"{steps[std]}, the raw inputs {steps[raw]} (final accuracy {acc[std]:.0%} vs {acc[raw]:.0%}{guess}). Large raw "
              "values make large pre-activations and large gradients for their weights: one learning rate is too big "
              "for those and too small for the rest. Move the learning rate: raw inputs only learn at tiny rates, "
              "where the scaled ones crawl.")

# 3. Why: the shape of the loss surface ------------------------------------------------------------------
chrome.section("3 · Why: a stretched loss surface makes gradient descent zig-zag")
st.markdown(r"A linear model $\hat y = w_1 x_1 + w_2 x_2$ fitted by least squares, $L = \operatorname{mean}(\hat y - y)^2$. "
            "Feature x1 has standard deviation 1, feature x2 a larger one. Each surface gets its own best learning "
            "rate (a share of the largest stable one, 2 / the largest curvature).")
c1, c2, c3 = st.columns(3)
spread = c1.select_slider("Standard deviation of x2", (1.0, 2.0, 5.0, 10.0, 20.0), value=5.0, key="contour-spread",
                          bind="query-params")
fraction = c2.select_slider("Learning rate (share of the largest stable one)", (0.2, 0.5, 0.8, 0.95, 1.05),
                            value=0.8, key="contour-lr", bind="query-params")
n_steps = c3.slider("Gradient-descent steps", 5, 100, 30, 5, key="contour-steps", bind="query-params")
surf = runners.run(pp.contours, runners.config(pp.Contours, spread=spread, lr_fraction=fraction, steps=n_steps),
                   label="Computing the loss surfaces")
for column, scaling in zip(st.columns(2), (raw, std)):
    with column:
        show.chart(charts.loss_contours, surf.surface, surf.path, scaling, f"{scaling} features", data=surf.path,
                   key=f"contour-{scaling}")
show.table(surf.table, key="contour-table")
t = surf.table.set_index("scaling")
chrome.notice(f"raw, the bowl is {t['condition number'][raw]:.0f} times steeper across the valley than along it "
              f"(its condition number); standardized, {t['condition number'][std]:.1f}. The steep direction caps the "
              f"learning rate at {t['learning rate'][raw]:.3g}, so the raw path bounces across the valley and crawls "
              f"along it: after {t['steps taken'][raw]} steps its loss is {t['final loss'][raw]:.3f} against a best of "
              f"{t['lowest possible loss'][raw]:.3f}. The round bowl takes a rate of {t['learning rate'][std]:.2f} "
              f"and gets to {t['final loss'][std]:.3f} (best {t['lowest possible loss'][std]:.3f}).")

# 4. Fit on the training rows only -----------------------------------------------------------------------
chrome.section("4 · Fit the scaler on the training rows only")
if st.toggle("Fit the scalers on all rows instead (training + validation): a leak", key="leak", bind="query-params"):
    leaky = runners.run(pp.race, runners.config(pp.ScalingRace, **{**race_cfg.__dict__, "fit_on": "all"}),
                        label="Training again with leaky scalers")
    leak = pp.leak_table(race, leaky)
    show.table(leak, key="leak-table")
    worst = leak.loc[leak["difference"].abs().idxmax()]
    chrome.notice(f"the validation rows moved a fitted min, max, mean or std by up to "
                  f"{leak['largest change of a fitted number'].max():.1%}, and the validation accuracy by "
                  f"{worst['difference']:+.1%} ({worst['variant']}). Even when the number barely moves the leak is "
                  "wrong: the validation rows stand in for data the model has never seen, and new data cannot shape "
                  "the scaler in advance, so a score computed this way is no longer an honest estimate.")
else:
    st.caption("Off: the scalers see the training rows only, as they should. Switch it on to measure the leak.")

# 5. Outliers -----------------------------------------------------------------------------------------------
chrome.section("5 · One outlier: min-max squeezes, standardization copes, robust scaling ignores it")
c1, c2, _ = st.columns(3)
feature = c1.selectbox("Feature", view.params.feature.tolist(), key="outlier-feature", bind="query-params")
factor = c2.select_slider("Outlier (times the largest value)", (1.0, 2.0, 5.0, 10.0, 100.0), value=10.0,
                          key="outlier-factor", bind="query-params")
out = runners.run(pp.outliers, runners.config(pp.Outlier, source=source, feature=feature, factor=factor),
                  label="Adding an outlier")
show.chart(charts.strips, out.points, key="outlier-strips")
show.table(out.table, key="outlier-table")
o = out.table.set_index("scaling")["squeezed by"]
chrome.notice(f"one row of {feature} at {factor:g}× its largest value squeezes the other {view.n_train} rows "
              f"{o[pp.LABELS['min-max']]:.0f}× closer together under min-max (they share the bottom of [0, 1]), "
              f"{o[std]:.0f}× under standardization (the outlier inflates the std), and {o[pp.LABELS['robust']]:.1f}× "
              "under robust scaling (median and interquartile range hardly notice one row).")

# 6. Images -------------------------------------------------------------------------------------------------
chrome.section("6 · Images: scale the pixels, normalize each colour channel")
img = runners.run(image_scaling.image_normalization, image_scaling.ImageNorm(), label="Normalizing the photo")
before, after = st.columns(2)
before.image(img.before, caption="before: pixels / 255, in [0, 1]", width="stretch")
after.image(img.shown, caption="after: (x − mean) / std per channel, drawn with −3..3 as black..white", width="stretch")
stats, code = st.columns(2)
with stats:
    show.table(img.stats, key="image-stats")
with code:
    mean, std_c = (", ".join(f"{v:.3f}" for v in values) for values in (img.mean, img.std))
    st.code(f"from torchvision import transforms\n\nnormalize = transforms.Normalize(\n    mean=[{mean}],\n"
            f"    std=[{std_c}],\n)\nx = normalize(image)  # image: (3, H, W) in [0, 1]", language="python")
    if st.button("Run torchvision's Normalize and compare", key="image-check"):
        st.success(f"Largest difference from the hand-written version: {image_scaling.torchvision_difference(img):.2g}")
show.chart(charts.channel_histograms, img.histograms, key="image-histograms")
digits = runners.run(image_scaling.digits_scaling, image_scaling.DigitsScaling(), label="Loading the digits")
pic, raw_px, scaled_px = st.columns([0.4, 1.3, 1.3])
pic.image(digits.picture, caption=f"a digit {digits.label}, 8×8 pixels", width="stretch", clamp=True)
with raw_px:
    st.markdown(f"**Raw pixel values, 0 to {digits.max_value:g}**")
    show.table(digits.raw, key="digit-raw")
with scaled_px:
    st.markdown(f"**Divided by {digits.max_value:g}: in [0, 1]**")
    show.table(digits.scaled, key="digit-scaled")
chrome.notice(f"after normalization each channel has mean 0 and std 1 (red: mean {img.stats['mean after'][0]:.3f}, "
              f"std {img.stats['std after'][0]:.3f}), so the photo looks grey-shifted but keeps every edge. Pixels have a "
              f"known range, so digits are simply divided by {digits.max_value:g}; per-pixel min-max would fail here: "
              f"{digits.constant_pixels} pixels are 0 in every image (constant columns, scale 1, output 0).")

# 7. Your own data --------------------------------------------------------------------------------------------
chrome.section("7 · Your own data")
upload = st.file_uploader(f"A CSV file: a header row, numeric feature columns and a column of class labels "
                          f"(at most {uploads.MAX_BYTES // 2**20} MB, {uploads.MAX_ROWS:,} rows and {uploads.MAX_COLUMNS} columns)", key="upload",
                          max_upload_size=uploads.MAX_BYTES // 2**20)
if upload is None:
    st.caption("Nothing uploaded: the sections above use the table picked in section 1.")
else:
    try:
        columns = uploads.read_csv(upload.name, upload.getvalue()).columns.tolist()
    except ValueError as error:
        st.error(str(error))
    else:
        target_column = st.selectbox("Target column (class labels)", columns, index=len(columns) - 1, key="upload-target",
                                     bind="query-params")
        mine = runners.config(pp.Source, name=upload.name, csv=upload.getvalue(), target=target_column)
        mine_view = runners.run(pp.scaling_view, pp.ScalingView(mine), label="Scaling your table")
        for column in mine_view.constant:
            st.warning(f"Column {column!r} is constant: scaled, it is 0 in every row (its scale is set to 1).")
        show.chart(charts.feature_boxes, mine_view.boxes, key="upload-boxes")
        mine_race = runners.run(pp.race, runners.config(pp.ScalingRace, source=mine, lr=lr, target=target,
                                                        epochs=epochs), label="Training on your table")
        show.chart(charts.curves, mine_race.history, "accuracy", key="upload-accuracy")
        show.table(mine_race.table, key="upload-table")
        m = mine_race.table.set_index("variant")["final validation accuracy"]
        chrome.notice(f"on your table, at learning rate {lr:g} for {epochs} epochs, the validation accuracy ends at "
                      f"{m[raw]:.0%} raw, {m[pp.LABELS['min-max']]:.0%} normalized and {m[std]:.0%} standardized.")
chrome.end()
