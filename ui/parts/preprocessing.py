"""The Preprocessing page's controls, panels and sentences: the page places them, core computes the facts."""
from __future__ import annotations

import dataclasses
import inspect

import streamlit as st

from core import charts, image_scaling, preprocessing, uploads
from core.data import LABELS as DATA_LABELS
from ui import chrome, runners, show, untrusted
from ui.untrusted import escape

LRS = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def when(epoch: int | None, epochs: int) -> str:
    """A variant's first epoch at the target, in words: a run that never got there says within how long."""
    return f"at epoch {epoch}" if epoch is not None else f"not within {epochs} epochs"


# 1. The same table, three ways ----------------------------------------------------------------------


def table_picker() -> preprocessing.Source:
    st.markdown("A scikit-learn table whose features have very different ranges, drawn raw, min-max normalized and "
                "standardized. Both scalers are fitted on the training rows.")
    table = st.columns(3)[0].selectbox("Table (from scikit-learn)", uploads.TABLES, format_func=DATA_LABELS.get,
                                       key="table", bind="query-params")
    return preprocessing.Source(table)


def scaler_formulas() -> None:
    left, right = st.columns(2)
    left.latex(r"\text{normalize: } x' = \frac{x - \min(x)}{\max(x) - \min(x)} \in [0, 1]")
    right.latex(r"\text{standardize: } x' = \frac{x - \mu}{\sigma}, \quad \mu = \operatorname{mean}(x),\ "
                r"\sigma = \operatorname{std}(x)")


def fitted_numbers(view: preprocessing.ScalingViewResult) -> None:
    """What each scaler fitted per feature, and the code that fitted it, in an expander."""
    with show.folded(f"The numbers each scaler fitted, per feature (from the {view.facts.n_train} training rows)",
                     key="scaler-numbers") as more:
        if more.open:
            show.table(view.params, key="params")
            st.code(inspect.getsource(preprocessing.fit_scaler) + "\n" + inspect.getsource(preprocessing.transform))


def view_notice(facts: preprocessing.ViewFacts) -> None:
    flat = f" (the {facts.n_constant} constant columns map to 0)" if facts.n_constant else ""
    std = (f"{facts.standard_std_lowest:.3f} in every column" if facts.standard_std_same else
           f"{facts.standard_std_lowest:.3f} to {facts.standard_std_highest:.3f}")
    chrome.notice(f"raw, **{facts.widest}** spans {facts.widest_min:.4g} to {facts.widest_max:.4g} while "
                  f"**{facts.narrowest}** spans {facts.narrowest_min:.3g} to {facts.narrowest_max:.3g}, a range "
                  f"{facts.range_ratio:,.0f} times smaller: in the left panel the small features are squashed "
                  f"against 0. After min-max the features run from {facts.minmax_lowest:g} to "
                  f"{facts.minmax_highest:g}; after standardization every feature has mean 0 (up to "
                  f"{facts.standard_largest_mean:.0e}) and standard deviation {std}{flat}, so the boxes line up "
                  f"around 0. All of it on the {facts.n_train} training rows the scalers were fitted on.", facts)


# 2. The effect on training -----------------------------------------------------------------------------


def race_controls(source: preprocessing.Source) -> preprocessing.ScalingRace:
    st.markdown("The same network (same seed, same learning rate, plain SGD in batches of 16) trained on the "
                "table's raw, normalized and standardized features: training and validation curves of each.")
    lr_column, target_column, epochs_column = st.columns(3)
    lr = lr_column.select_slider("Learning rate (log scale)", LRS, value=0.03, key="race-lr", bind="query-params",
                                 help="Plain SGD, batches of 16: w ← w − lr · gradient.")
    target = target_column.select_slider("Target validation accuracy", (0.8, 0.85, 0.9, 0.95), value=0.9,
                                         key="race-target", bind="query-params", format_func="{:.0%}".format)
    epochs = epochs_column.slider("Epochs", 20, 200, 60, 10, key="race-epochs", bind="query-params")
    return runners.config(preprocessing.ScalingRace, source=source, lr=lr, target=target, epochs=epochs)


def table_name(source: preprocessing.Source) -> str:
    """A bundled table's name in words ("wine"), or the uploaded file's name."""
    return DATA_LABELS.get(source.name, source.name).split(" (")[0].lower() if not source.csv else source.name


def race_panels(race: preprocessing.ScalingRaceResult, table: str) -> None:
    """Loss and accuracy curves side by side, the trainer's warnings, then the table."""
    left, right = st.columns(2)
    with left:
        show.chart(charts.curves, race.history, "loss", log_y=True, key="race-loss",
                   title=f"Loss per epoch, {table} table")
    with right:
        show.chart(charts.curves, race.history, "accuracy", key="race-accuracy",
                   title=f"Accuracy per epoch, {table} table")
    show.warnings(race.messages or {})
    show.table(race.table, key="race-table")


def race_notice(facts: preprocessing.RaceFacts) -> None:
    guess = (f"; {facts.final_acc_raw:.0%} is exactly the share of the most common class, what answering that class "
             "for every row scores" if facts.raw_at_majority else "")
    tiny = "like this one" if facts.at_tiny_lr else f"(try {facts.tiny_lr:g})"
    chrome.notice(f"at learning rate {facts.lr:g} the validation accuracy reaches {facts.target:.0%} "
                  f"{when(facts.reached_standard, facts.epochs)} standardized, "
                  f"{when(facts.reached_minmax, facts.epochs)} normalized and {when(facts.reached_raw, facts.epochs)} "
                  f"raw (final accuracy {facts.final_acc_standard:.0%}, {facts.final_acc_minmax:.0%} and "
                  f"{facts.final_acc_raw:.0%}{guess}). A first-layer weight's gradient is the error signal times its "
                  f"input, and the raw features' typical sizes differ {facts.input_size_ratio_raw:,.0f}-fold "
                  f"(standardized {facts.input_size_ratio_standard:.1f}-fold): one learning rate is too big for the "
                  "weights of the large features and too small for the rest. Move the learning rate: raw inputs "
                  f"learn something only at tiny rates {tiny}, where the scaled ones crawl.", facts)


# 3. Why: the shape of the loss surface ------------------------------------------------------------------


def contour_intro() -> None:
    chrome.intro(r"A linear model without a bias, $\hat y = w_1 x_1 + w_2 x_2$, fitted by least squares, "
                r"$L = \operatorname{mean}(\hat y - y)^2$. Feature x1 is drawn with standard deviation 1, feature x2 "
                f"with the one you pick, correlated ({preprocessing.Contours.correlation:g}) as features of real "
                "tables are. Each surface gets the same share of its own largest stable learning rate (2 / its "
                "largest curvature).")


def contour_controls() -> preprocessing.Contours:
    spread_column, lr_column, steps_column = st.columns(3)
    spread = spread_column.select_slider("Standard deviation of x2", (1.0, 2.0, 5.0, 10.0, 20.0), value=5.0,
                                         key="contour-spread", bind="query-params")
    fraction = lr_column.select_slider("Learning rate (share of the largest stable one)", (0.2, 0.5, 0.8, 0.95, 1.05),
                                       value=0.8, key="contour-lr", bind="query-params")
    n_steps = steps_column.slider("Gradient-descent steps", 5, 100, 30, 5, key="contour-steps", bind="query-params")
    return runners.config(preprocessing.Contours, spread=spread, lr_fraction=fraction, steps=n_steps)


def contour_maps(surfaces: preprocessing.ContoursResult) -> None:
    """The raw and the standardized loss surface side by side, each with its gradient-descent path."""
    for column, scaling in zip(st.columns(2), (preprocessing.LABELS["raw"], preprocessing.LABELS["standard"])):
        with column:
            show.chart(charts.loss_contours, surfaces.surface, surfaces.path, scaling, f"{scaling} features",
                       data=surfaces.path, key=f"contour-{scaling}")


def contour_notice(facts: preprocessing.ContourFacts) -> None:
    across = (f"{'both paths zig-zag' if facts.zigzags_raw else 'neither path overshoots'} across the valley: each "
              f"step multiplies the distance across it by {facts.steep_factor_raw:+.2f}")
    crawl = ": the raw path crawls" if facts.raw_crawls else ""
    along = "Along the valley they differ" if facts.raw_crawls else "Along the valley"
    closer = ("Above the largest stable rate a distance grows with every step: both paths blow up" if facts.diverges
              else f"Getting 100 times closer takes {facts.steps_to_1pct_raw} steps raw and "
              f"{facts.steps_to_1pct_standard} standardized{crawl}")
    chrome.notice(f"raw, the bowl curves {facts.condition_raw:.1f} times more sharply across the valley than along "
                  f"it (the ratio of its curvatures, the condition number), so its contour ellipses are "
                  f"√{facts.condition_raw:.1f} = {facts.axis_ratio_raw:.1f} times longer than wide. "
                  f"Standardized, the condition number is {facts.condition_standard:.1f}: ellipses "
                  f"{facts.axis_ratio_standard:.2f} times longer than wide, their long axis at "
                  f"{facts.tilt_standard:+.0f}° from the w1 axis because x1 and x2 are correlated "
                  f"({facts.correlation:g}): nearly round, not round. Both paths take {facts.lr_fraction:.0%} of "
                  f"their largest stable rate ({facts.max_lr_raw:.3g} raw, {facts.max_lr_standard:.3g} "
                  f"standardized), so {across}. {along}: each step keeps {facts.shallow_factor_raw:.3f} "
                  f"of the distance raw and {facts.shallow_factor_standard:.2f} standardized. {closer}; after "
                  f"{facts.steps_taken_raw} steps the raw loss is {facts.gap_raw:.3g} above its lowest, the "
                  f"standardized {facts.gap_standard:.1g}. The lowest losses differ ({facts.lowest_raw:.3f} raw, "
                  f"{facts.lowest_standard:.3f} standardized) because the model has no bias: standardizing also "
                  f"subtracts the features' means ({facts.mean_x1:.2f}, {facts.mean_x2:.2f}), and the raw features, "
                  f"only centred, reach the standardized lowest loss, {facts.lowest_centred:.3f}.", facts)


# 4. Fit on the training rows only -----------------------------------------------------------------------


def leak(race_cfg: preprocessing.ScalingRace, clean: preprocessing.ScalingRaceResult) -> None:
    """The race again with scalers fitted on all rows, when the toggle asks for it, and what that changed."""
    st.markdown("Section 2's race again, with the scalers fitted on all rows (training and validation) instead of the "
                "training rows only: what that changes in the fitted numbers and the scores.")
    if not st.toggle("Fit the scalers on all rows instead (training + validation): a leak", key="leak",
                     bind="query-params"):
        st.caption("Off: the scalers see the training rows only, as they should. Switch it on to measure the leak.")
        return
    leaky = runners.run(preprocessing.race, dataclasses.replace(race_cfg, fit_on="all"),
                        label="Training again with leaky scalers")
    table = preprocessing.leak_table(clean, leaky)
    show.table(table, key="leak-table")
    facts = preprocessing.leak_facts(table)
    moved = (f"the validation accuracy by {facts.accuracy_change:+.1%} ({facts.accuracy_change_variant})"
             if facts.accuracy_changed else "left the validation accuracy unchanged here")
    chrome.notice(f"the validation rows moved a fitted min, max, mean or std by up to "
                  f"{facts.largest_fitted_change:.1%} ({facts.fitted_change_variant}), and {moved}. Even when the "
                  "number barely moves the leak is wrong: the validation rows stand in for data the model has never "
                  "seen, and new data cannot shape the scaler in advance, so a score computed this way is no longer "
                  "an honest estimate.", facts)


# 5. Outliers -----------------------------------------------------------------------------------------------


def outlier_controls(source: preprocessing.Source, features: tuple[str, ...]) -> preprocessing.Outlier:
    st.markdown("One feature of the table with one outlier added, a multiple of its largest value: how close together "
                "each scaler then puts the other rows.")
    feature_column, factor_column, _ = st.columns(3)
    feature = feature_column.selectbox("Feature", features, key="outlier-feature", bind="query-params")
    factor = factor_column.select_slider("Outlier (times the largest value)", (1.0, 2.0, 5.0, 10.0, 100.0),
                                         value=10.0, key="outlier-factor", bind="query-params")
    return runners.config(preprocessing.Outlier, source=source, feature=feature, factor=factor)


def outlier_notice(facts: preprocessing.OutlierFacts) -> None:
    most = (": an outlier this mild squeezes them by at most 10% under every scaler." if facts.squeeze_small else
            f": here {facts.squeezes_most} squeezes them most.")
    chrome.notice(f"one row of {facts.feature} at {facts.factor:g}× its largest value ({facts.outlier_value:.4g}) "
                  f"squeezes the middle half of the other {facts.n_others} rows {facts.squeeze_minmax:.1f}× closer "
                  f"together under min-max (they all share [0, {facts.others_top_minmax:.2g}]), "
                  f"{facts.squeeze_standard:.1f}× under standardization (the outlier makes the std "
                  f"{facts.std_inflation:.1f}× larger), and {facts.squeeze_robust:.2f}× under robust scaling "
                  f"(median and interquartile range hardly notice one row){most}", facts)


# 6. Images -------------------------------------------------------------------------------------------------


IMAGES_INTRO = ("scikit-learn's sample photo of China: its pixel values (0-255) scaled to 0-1, then normalized per "
                "colour channel as torchvision's Normalize does it; then one 8x8 digit scaled by its largest value.")


def photo(image: image_scaling.ImageNormResult) -> None:
    """The photo before and after, its per-channel numbers, and the torchvision code with a check against it."""
    before, after = st.columns(2)
    before.image(image.before, caption="before: pixels / 255, in [0, 1]", width="stretch")
    after.image(image.shown, caption="after: (x − mean) / std per channel, drawn with −3..3 as black..white",
                width="stretch")
    stats, code = st.columns(2)
    with stats:
        show.table(image.stats, key="image-stats")
    with code:
        mean, std = (", ".join(f"{v:.3f}" for v in values) for values in (image.mean, image.std))
        st.code(f"from torchvision import transforms\n\nnormalize = transforms.Normalize(\n    mean=[{mean}],\n"
                f"    std=[{std}],\n)\nx = normalize(image)  # image: (3, H, W) in [0, 1]", language="python",
                wrap_lines=True)
        if st.button("Run torchvision's Normalize and compare", key="image-check"):
            gap = image_scaling.torchvision_difference(image)
            st.success(f"Largest difference from the hand-written version: {gap:.2g}")
    show.chart(charts.channel_histograms, image.histograms, key="image-histograms",
               title="The photo's pixel values per colour channel, before and after normalizing")


def digit(digits: image_scaling.DigitsScalingResult) -> None:
    """One digit as a picture, its raw pixel values and the same divided by the largest value."""
    # The two 8-column tables one above the other: side by side, a laptop's column cut the scaled one.
    picture, tables = st.columns([0.4, 2.6])
    picture.image(digits.picture, caption=f"a digit {digits.label}, 8×8 pixels", width="stretch", clamp=True)
    with tables:
        st.markdown(f"**Raw pixel values, 0 to {digits.max_value:g}**")
        show.table(digits.raw, key="digit-raw")
        st.markdown(f"**Divided by {digits.max_value:g}: in [0, 1]**")
        show.table(digits.scaled, key="digit-scaled")


def images_notice(image: image_scaling.ImageFacts, digits: image_scaling.DigitsFacts) -> None:
    edges = ("Within a channel a brighter pixel stays brighter, so every edge is kept; the colours shift because "
             "each channel is centred on its own. " if image.order_kept else "")
    border = " border" if digits.rare_on_border else ""
    std = (f"{image.std_after_lowest:.3f} in every channel" if image.std_after_same else
           f"{image.std_after_lowest:.3f} to {image.std_after_highest:.3f}")
    chrome.notice(f"the mean and std here are this photo's own, over its {image.n_pixels:,} pixels per channel, so "
                  f"every channel comes out at mean 0 (up to {image.largest_mean_after:.0e}) and std {std}. A "
                  "trained network instead normalizes every image, new ones too, with one mean and std per channel "
                  "fitted on its training images (as section 4 fits a scaler on the training rows). "
                  f"{edges}Digits share a known range, 0 to {digits.max_value:g}, so they are simply divided by "
                  f"{digits.max_value:g}. Per-pixel min-max over the {digits.n_images:,} images would treat pixels "
                  f"unequally: {digits.constant_pixels} pixels are 0 in every image, a 0/0 range that a scaler must "
                  f"guard (the app's divides by 1 and gives {digits.constant_output:g}), and {digits.rare_pixels}"
                  f"{border} pixels are inked in fewer than {digits.rare_share:.0%} of the images, yet min-max maps "
                  f"each one's largest value to 1, full ink, even a faint speck of {digits.rare_faintest:g}: up to "
                  f"{digits.rare_stretch:.0f}× more than dividing by {digits.max_value:g} does.", image, digits)


# 7. Your own data ------------------------------------------------------------------------------------------


def your_data(race_cfg: preprocessing.ScalingRace) -> None:
    """An uploaded CSV: its target column, its scaled distributions and the race on it."""
    st.markdown("A CSV table of your own: the same three scalings and the same training race as sections 1 and 2.")
    upload = st.file_uploader(f"A CSV file: a header row, numeric feature columns and a column of class labels "
                              f"(at most {uploads.MAX_BYTES // 2**20} MB, {uploads.MAX_ROWS:,} rows and "
                              f"{uploads.MAX_COLUMNS} columns)", key="upload",
                              max_upload_size=uploads.MAX_BYTES // 2**20)
    if upload is None:
        st.caption("Nothing uploaded: the sections above use the table picked in section 1.")
        return
    try:
        columns = runners.read_upload(uploads.read_csv, upload.name, upload.getvalue()).columns.tolist()
    except ValueError as error:
        st.error(escape(str(error)))
        return
    target_column = st.selectbox("Target column (class labels)", columns, index=len(columns) - 1,
                                 key="upload-target", bind="query-params")
    mine = runners.config(preprocessing.Source, name=upload.name, csv=upload.getvalue(), target=target_column)
    view = runners.run(preprocessing.scaling_view, preprocessing.ScalingView(mine), label="Scaling your table")
    for column in view.constant:
        st.warning(f"Column {untrusted.code(column)} is constant: scaled, it is 0 in every row (its scale is set "
                   "to 1).")
    show.chart(charts.feature_boxes, view.boxes, key="upload-boxes",
               title=f"The features of your table {upload.name} (training rows), three ways")
    race = runners.run(preprocessing.race, dataclasses.replace(race_cfg, source=mine), label="Training on your table")
    show.chart(charts.curves, race.history, "accuracy", key="upload-accuracy",
               title=f"Accuracy per epoch on your table {upload.name}")
    show.table(race.table, key="upload-table")
    facts = race.facts
    chrome.notice(f"on your table, at learning rate {facts.lr:g} for {facts.epochs} epochs, the validation accuracy "
                  f"ends at {facts.final_acc_raw:.0%} raw, {facts.final_acc_minmax:.0%} normalized and "
                  f"{facts.final_acc_standard:.0%} standardized; it reaches {facts.target:.0%} "
                  f"{when(facts.reached_raw, facts.epochs)} raw and {when(facts.reached_standard, facts.epochs)} "
                  "standardized.", facts)
