"""Preprocessing (slides 34-35): normalize vs standardize, what scaling does to training, leaks,
outliers, images, your data."""

from core import charts, image_scaling, preprocessing
from ui import chrome, runners, show, widgets
from ui.parts import preprocessing as parts

chrome.page("preprocessing", """Features arrive in their own units: a wine's alcohol is around 13
(%), its proline around 750 (mg/L). A network's first layer adds them up with one learning rate for
all weights, so the biggest numbers dominate. **Normalize** (min-max) squeezes each feature into
[0, 1]; **standardize** shifts it to mean 0 and stretches it to standard deviation 1. Both are
fitted on the training rows only, then applied to every row.""")

# 1. The same table, three ways ---------------------------------------------------------------
if table_open := chrome.section("1 · Normalize or standardize: one table, three ways", "35"):
    source = parts.table_picker()
    parts.scaler_formulas()
    view = runners.run(preprocessing.scaling_view, preprocessing.ScalingView(source),
                       label="Scaling the table")
    show.chart(charts.feature_boxes, view.boxes, key="boxes",
               title=f"The {parts.table_name(source)} table's features (training rows), three ways")
    parts.fitted_numbers(view)
    parts.view_notice(view.facts)

# 2. The effect on training -------------------------------------------------------------------
if (race_open := chrome.section("2 · The effect on training: same network, same seed, same "
                                "learning rate")) and chrome.needs(table_open, "1"):
    race_cfg = parts.race_controls(source)
    race, race_cfg = widgets.started_or_default(
        preprocessing.race, race_cfg, default=preprocessing.ScalingRace(source=source),
        seconds=preprocessing.race_seconds(race_cfg), key="race-run",
        label="Training on raw, normalized and standardized inputs", start="Train the three nets")
    parts.race_panels(race, parts.table_name(source))
    parts.race_notice(race.facts)

# 3. Why: the shape of the loss surface -------------------------------------------------------
if chrome.section("3 · Why: a stretched loss surface makes gradient descent crawl"):
    parts.contour_intro()
    surfaces = runners.run(preprocessing.contours, parts.contour_controls(),
                           label="Computing the loss surfaces")
    parts.contour_maps(surfaces)
    show.table(surfaces.table, key="contour-table")
    parts.contour_notice(surfaces.facts)

# 4. Fit on the training rows only ------------------------------------------------------------
if chrome.section("4 · Fit the scaler on the training rows only") and chrome.needs(table_open,
                                                                                   "1") \
        and chrome.needs(race_open, "2"):
    parts.leak(race_cfg, race)

# 5. Outliers ---------------------------------------------------------------------------------
if chrome.section("5 · One outlier: how much each scaler squeezes the other rows") \
        and chrome.needs(table_open, "1"):
    outlier_cfg = parts.outlier_controls(source, view.features)
    outlier = runners.run(preprocessing.outliers, outlier_cfg, label="Adding an outlier")
    show.chart(charts.strips, outlier.points, key="outlier-strips",
               title=f"{outlier_cfg.feature} ({parts.table_name(source)}) with one outlier, "
                     "per scaler")
    show.table(outlier.table, key="outlier-table")
    parts.outlier_notice(outlier.facts)

# 6. Images -----------------------------------------------------------------------------------
if chrome.section("6 · Images: scale the pixels, normalize each colour channel"):
    chrome.intro(parts.IMAGES_INTRO)
    image = runners.run(image_scaling.image_normalization, image_scaling.ImageNorm(),
                        label="Normalizing the photo")
    parts.photo(image)
    digits = runners.run(image_scaling.digits_scaling, image_scaling.DigitsScaling(),
                         label="Loading the digits")
    parts.digit(digits)
    parts.images_notice(image.facts, digits.facts)

# 7. Your own data ----------------------------------------------------------------------------
if chrome.section("7 · Your own data") and chrome.needs(table_open,
                                                        "1") and chrome.needs(race_open, "2"):
    parts.your_data(race_cfg)
chrome.end()
