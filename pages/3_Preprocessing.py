"""Preprocessing (slides 34-35): normalize vs standardize, what scaling does to training, leaks, outliers, images,
your data."""
import inspect

import streamlit as st

from core import charts, image_scaling, preprocessing as pp, uploads
from core.data import LABELS as DATA_LABELS
from ui import chrome, runners, show

chrome.page("Preprocessing", "34-35", """Features arrive in their own units: a wine's alcohol is around 13 (%), its
proline around 750 (mg/L). A network's first layer adds them up with one learning rate for all weights, so the
biggest numbers dominate. **Normalize** (min-max) squeezes each feature into [0, 1]; **standardize** shifts it to
mean 0 and stretches it to standard deviation 1. Both are fitted on the training rows only, then applied to every
row.""")
LRS = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def when(epoch: int | None, epochs: int) -> str:
    """A variant's first epoch at the target, in words: a run that never got there says within how long."""
    return f"at epoch {epoch}" if epoch is not None else f"not within {epochs} epochs"


# 1. The same table, three ways -----------------------------------------------------------------------
chrome.section("1 · Normalize or standardize: one table, three ways", "35")
table = st.columns(3)[0].selectbox("Table (from scikit-learn)", uploads.TABLES, format_func=DATA_LABELS.get,
                                   key="table", bind="query-params")
source = pp.Source(table)
left, right = st.columns(2)
left.latex(r"\text{normalize: } x' = \frac{x - \min(x)}{\max(x) - \min(x)} \in [0, 1]")
right.latex(r"\text{standardize: } x' = \frac{x - \mu}{\sigma}, \quad \mu = \operatorname{mean}(x),\ "
            r"\sigma = \operatorname{std}(x)")
view = runners.run(pp.scaling_view, pp.ScalingView(source), label="Scaling the table")
show.chart(charts.feature_boxes, view.boxes, key="boxes")
with st.expander(f"The numbers each scaler fitted, per feature (from the {view.facts.n_train} training rows)"):
    show.table(view.params, key="params")
    st.code(inspect.getsource(pp.fit_scaler) + "\n" + inspect.getsource(pp.transform))
sv = view.facts
flat = f" (the {sv.n_constant} constant columns map to 0)" if sv.n_constant else ""
chrome.notice(f"raw, **{sv.widest}** spans {sv.widest_min:.4g} to {sv.widest_max:.4g} while **{sv.narrowest}** "
              f"spans {sv.narrowest_min:.3g} to {sv.narrowest_max:.3g}, a range {sv.range_ratio:,.0f} times smaller: "
              "in the left panel the small features are squashed against 0. After min-max the features run from "
              f"{sv.minmax_lowest:g} to {sv.minmax_highest:g}; after standardization every feature has mean 0 (up to "
              f"{sv.standard_largest_mean:.0e}) and standard deviation "
              + (f"{sv.standard_std_lowest:.3f} in every column" if sv.standard_std_same else
                 f"{sv.standard_std_lowest:.3f} to {sv.standard_std_highest:.3f}")
              + f"{flat}, so the boxes line up around 0. All of it on the {sv.n_train} "
              "training rows the scalers were fitted on.", sv)

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
r = race.facts
guess = (f"; {r.final_acc_raw:.0%} is exactly the share of the most common class, what answering that class for "
         "every row scores" if r.raw_at_majority else "")
chrome.notice(f"at learning rate {r.lr:g} the validation accuracy reaches {r.target:.0%} "
              f"{when(r.reached_standard, r.epochs)} standardized, {when(r.reached_minmax, r.epochs)} normalized and "
              f"{when(r.reached_raw, r.epochs)} raw (final accuracy {r.final_acc_standard:.0%}, "
              f"{r.final_acc_minmax:.0%} and {r.final_acc_raw:.0%}{guess}). A first-layer weight's gradient is "
              "the error signal times its input, and the raw features' typical sizes differ "
              f"{r.input_size_ratio_raw:,.0f}-fold (standardized {r.input_size_ratio_standard:.1f}-fold): one learning "
              "rate is too big for the weights of the large features and too small for the rest. Move the learning "
              "rate: raw inputs learn something only at tiny rates "
              + ("like this one" if r.at_tiny_lr else f"(try {r.tiny_lr:g})") + ", where the scaled ones crawl.", r)

# 3. Why: the shape of the loss surface ------------------------------------------------------------------
chrome.section("3 · Why: a stretched loss surface makes gradient descent crawl")
st.markdown(r"A linear model without a bias, $\hat y = w_1 x_1 + w_2 x_2$, fitted by least squares, "
            r"$L = \operatorname{mean}(\hat y - y)^2$. Feature x1 is drawn with standard deviation 1, feature x2 with "
            f"the one you pick, correlated ({pp.Contours.correlation:g}) as features of real tables are. Each surface "
            "gets the same share of its own largest stable learning rate (2 / its largest curvature).")
c1, c2, c3 = st.columns(3)
spread = c1.select_slider("Standard deviation of x2", (1.0, 2.0, 5.0, 10.0, 20.0), value=5.0, key="contour-spread",
                          bind="query-params")
fraction = c2.select_slider("Learning rate (share of the largest stable one)", (0.2, 0.5, 0.8, 0.95, 1.05),
                            value=0.8, key="contour-lr", bind="query-params")
n_steps = c3.slider("Gradient-descent steps", 5, 100, 30, 5, key="contour-steps", bind="query-params")
surf = runners.run(pp.contours, runners.config(pp.Contours, spread=spread, lr_fraction=fraction, steps=n_steps),
                   label="Computing the loss surfaces")
raw, std = pp.LABELS["raw"], pp.LABELS["standard"]
for column, scaling in zip(st.columns(2), (raw, std)):
    with column:
        show.chart(charts.loss_contours, surf.surface, surf.path, scaling, f"{scaling} features", data=surf.path,
                   key=f"contour-{scaling}")
show.table(surf.table, key="contour-table")
c = surf.facts
across = (f"{'both paths zig-zag' if c.zigzags_raw else 'neither path overshoots'} across the valley: each step "
          f"multiplies the distance across it by {c.steep_factor_raw:+.2f}")
crawl = ": the raw path crawls" if c.raw_crawls else ""
along = "Along the valley they differ" if c.raw_crawls else "Along the valley"
closer = ("Above the largest stable rate a distance grows with every step: both paths blow up" if c.diverges else
          f"Getting 100 times closer takes {c.steps_to_1pct_raw} steps raw and {c.steps_to_1pct_standard} standardized"
          f"{crawl}")
chrome.notice(f"raw, the bowl curves {c.condition_raw:.1f} times more sharply across the valley than along it "
              f"(the ratio of its curvatures, the condition number), so its contour ellipses are "
              f"√{c.condition_raw:.1f} = {c.axis_ratio_raw:.1f} times longer than wide. "
              f"Standardized, the condition number is {c.condition_standard:.1f}: ellipses "
              f"{c.axis_ratio_standard:.2f} times longer than wide, their long axis at {c.tilt_standard:+.0f}° from "
              f"the w1 axis because x1 and x2 are correlated ({c.correlation:g}): nearly round, not round. Both paths "
              f"take {c.lr_fraction:.0%} of their largest stable rate ({c.max_lr_raw:.3g} raw, {c.max_lr_standard:.3g} "
              f"standardized), so {across}. {along}: each step keeps {c.shallow_factor_raw:.3f} "
              f"of the distance raw and {c.shallow_factor_standard:.2f} standardized. {closer}; after "
              f"{c.steps_taken_raw} steps the raw loss is {c.gap_raw:.3g} above its lowest, the standardized "
              f"{c.gap_standard:.1g}. The lowest losses differ ({c.lowest_raw:.3f} raw, {c.lowest_standard:.3f} "
              "standardized) because the model has no bias: standardizing also subtracts the features' means "
              f"({c.mean_x1:.2f}, {c.mean_x2:.2f}), and the raw features, only centred, reach the standardized lowest "
              f"loss, {c.lowest_centred:.3f}.", c)

# 4. Fit on the training rows only -----------------------------------------------------------------------
chrome.section("4 · Fit the scaler on the training rows only")
if st.toggle("Fit the scalers on all rows instead (training + validation): a leak", key="leak", bind="query-params"):
    leaky = runners.run(pp.race, runners.config(pp.ScalingRace, **{**race_cfg.__dict__, "fit_on": "all"}),
                        label="Training again with leaky scalers")
    leak = pp.leak_table(race, leaky)
    show.table(leak, key="leak-table")
    k = pp.leak_facts(leak)
    moved = (f"the validation accuracy by {k.accuracy_change:+.1%} ({k.accuracy_change_variant})" if k.accuracy_changed
             else "left the validation accuracy unchanged here")
    chrome.notice(f"the validation rows moved a fitted min, max, mean or std by up to {k.largest_fitted_change:.1%} "
                  f"({k.fitted_change_variant}), and {moved}. Even when the number barely moves the leak is "
                  "wrong: the validation rows stand in for data the model has never seen, and new data cannot shape "
                  "the scaler in advance, so a score computed this way is no longer an honest estimate.", k)
else:
    st.caption("Off: the scalers see the training rows only, as they should. Switch it on to measure the leak.")

# 5. Outliers -----------------------------------------------------------------------------------------------
chrome.section("5 · One outlier: how much each scaler squeezes the other rows")
c1, c2, _ = st.columns(3)
feature = c1.selectbox("Feature", view.features, key="outlier-feature", bind="query-params")
factor = c2.select_slider("Outlier (times the largest value)", (1.0, 2.0, 5.0, 10.0, 100.0), value=10.0,
                          key="outlier-factor", bind="query-params")
out = runners.run(pp.outliers, runners.config(pp.Outlier, source=source, feature=feature, factor=factor),
                  label="Adding an outlier")
show.chart(charts.strips, out.points, key="outlier-strips")
show.table(out.table, key="outlier-table")
o = out.facts
chrome.notice(f"one row of {o.feature} at {o.factor:g}× its largest value ({o.outlier_value:.4g}) squeezes the "
              f"middle half of the other {o.n_others} rows {o.squeeze_minmax:.1f}× closer together under min-max (they "
              f"all share [0, {o.others_top_minmax:.2g}]), {o.squeeze_standard:.1f}× under standardization (the "
              f"outlier makes the std {o.std_inflation:.1f}× larger), and {o.squeeze_robust:.2f}× under robust scaling "
              "(median and interquartile range hardly notice one row)"
              + (": an outlier this mild squeezes them by at most 10% under every scaler." if o.squeeze_small else
                 f": here {o.squeezes_most} squeezes them most."), o)

# 6. Images -------------------------------------------------------------------------------------------------
chrome.section("6 · Images: scale the pixels, normalize each colour channel")
img = runners.run(image_scaling.image_normalization, image_scaling.ImageNorm(), label="Normalizing the photo")
before, after = st.columns(2)
before.image(img.before, caption="before: pixels / 255, in [0, 1]", width="stretch")
after.image(img.shown, caption="after: (x − mean) / std per channel, drawn with −3..3 as black..white",
            width="stretch")
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
i, d = img.facts, digits.facts
edges = ("Within a channel a brighter pixel stays brighter, so every edge is kept; the colours shift because each "
         "channel is centred on its own. " if i.order_kept else "")
border = " border" if d.rare_on_border else ""
chrome.notice(f"the mean and std here are this photo's own, over its {i.n_pixels:,} pixels per channel, so every "
              f"channel comes out at mean 0 (up to {i.largest_mean_after:.0e}) and std "
              + (f"{i.std_after_lowest:.3f} in every channel" if i.std_after_same else
                 f"{i.std_after_lowest:.3f} to {i.std_after_highest:.3f}")
              + ". A trained network instead normalizes every image, new ones too, with one "
              "mean and std per channel fitted on its training images (as section 4 fits a scaler on the training "
              f"rows). {edges}Digits share a known range, 0 to {d.max_value:g}, so they are simply divided by "
              f"{d.max_value:g}. Per-pixel min-max over the {d.n_images:,} images would treat pixels unequally: "
              f"{d.constant_pixels} pixels are 0 in every image, a 0/0 range that a scaler must guard (the app's "
              f"divides by 1 and gives {d.constant_output:g}), and {d.rare_pixels}{border} pixels are inked in fewer "
              f"than {d.rare_share:.0%} of the images, yet min-max maps each one's largest value to 1, full ink, even "
              f"a faint speck of {d.rare_faintest:g}: up to {d.rare_stretch:.0f}× more than dividing by "
              f"{d.max_value:g} does.", i, d)

# 7. Your own data --------------------------------------------------------------------------------------------
chrome.section("7 · Your own data")
upload = st.file_uploader(f"A CSV file: a header row, numeric feature columns and a column of class labels "
                          f"(at most {uploads.MAX_BYTES // 2**20} MB, {uploads.MAX_ROWS:,} rows and "
                          f"{uploads.MAX_COLUMNS} columns)", key="upload", max_upload_size=uploads.MAX_BYTES // 2**20)
if upload is None:
    st.caption("Nothing uploaded: the sections above use the table picked in section 1.")
else:
    try:
        columns = uploads.read_csv(upload.name, upload.getvalue()).columns.tolist()
    except ValueError as error:
        st.error(str(error))
    else:
        target_column = st.selectbox("Target column (class labels)", columns, index=len(columns) - 1,
                                     key="upload-target", bind="query-params")
        mine = runners.config(pp.Source, name=upload.name, csv=upload.getvalue(), target=target_column)
        mine_view = runners.run(pp.scaling_view, pp.ScalingView(mine), label="Scaling your table")
        for column in mine_view.constant:
            st.warning(f"Column {column!r} is constant: scaled, it is 0 in every row (its scale is set to 1).")
        show.chart(charts.feature_boxes, mine_view.boxes, key="upload-boxes")
        mine_race = runners.run(pp.race, runners.config(pp.ScalingRace, source=mine, lr=lr, target=target,
                                                        epochs=epochs), label="Training on your table")
        show.chart(charts.curves, mine_race.history, "accuracy", key="upload-accuracy")
        show.table(mine_race.table, key="upload-table")
        m = mine_race.facts
        chrome.notice(f"on your table, at learning rate {m.lr:g} for {m.epochs} epochs, the validation accuracy "
                      f"ends at {m.final_acc_raw:.0%} raw, {m.final_acc_minmax:.0%} normalized and "
                      f"{m.final_acc_standard:.0%} "
                      f"standardized; it reaches {m.target:.0%} {when(m.reached_raw, m.epochs)} raw and "
                      f"{when(m.reached_standard, m.epochs)} standardized.", m)
chrome.end()
