"""AppTest of the preprocessing page: renders at defaults, its controls change the charts, bad uploads get a message."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import charts, tables
from tests.pages.test_pages_learning_cycle import untitled

PAGE = "3_Preprocessing.py"
GOOD_CSV = b"size,flat,weight,kind\n" + b"".join(f"{i},7,{i * i % 50},{'ab'[i % 2]}\n".encode() for i in range(40))


def _table(at: AppTest, first_column: str, second_column: str | None = None):
    return next(df for df in tables(at)
                if df.columns[0] == first_column and (second_column is None or second_column in df.columns))


def test_default_render_shows_every_section(page):
    assert page.title[0].value == "Preprocessing"
    assert not page.error and not page.warning
    assert len(page.get("vega_lite_chart")) == 7  # boxes, loss, accuracy, 2 contours, outlier strips, histograms
    assert len(page.get("image")) == 3  # photo before / after, one digit
    notices = [n.value for n in page.info]
    assert len(notices) == 5 and all("What to notice" in n for n in notices)
    race = _table(page, "variant", "final validation accuracy").set_index("variant")
    assert race.loc["standardized", "epochs to 90% validation accuracy"] == "3"
    assert race.loc["raw", "epochs to 90% validation accuracy"] == "not reached"
    assert "at epoch 3 standardized" in notices[1]  # the notice quotes the table ...
    assert "not within 60 epochs raw" in notices[1] and "at never" not in notices[1]  # ... and reads right
    assert "the raw features' typical sizes differ" in notices[1] and "(try 0.0003)" in notices[1]
    assert "standard deviation 1.000 in every column" in notices[0] and "1.000 to 1.000" not in notices[0]
    assert "std 1.000 in every channel" in notices[4] and "1.000 to 1.000" not in notices[4]
    assert not untitled(page)


def test_many_epochs_wait_for_the_button(page):
    page.slider(key="race-epochs").set_value(200).run()
    assert not page.exception
    assert page.button(key="race-run-start").label == "Train the three nets (about 3 s)"  # race_seconds


def test_default_notices_state_the_surfaces_shape_and_speed_correctly(page):
    surface = page.info[2].value
    assert "round bowl" not in surface and "times steeper" not in surface
    assert "curves 30.5 times more sharply" in surface and "5.5 times longer than wide" in surface  # sqrt(30.5)
    assert "condition number is 2.0" in surface and "-45° from the w1 axis" in surface and "not round" in surface
    assert "both paths zig-zag" in surface and "by -0.60" in surface  # the standardized one too, at 80%
    assert "86 steps raw and 10 standardized: the raw path crawls" in surface
    assert "no bias" in surface and "only centred, reach the standardized lowest loss, 0.099" in surface


def test_default_image_notice_says_whose_statistics_and_what_min_max_does(page):
    images = page.info[4].value
    assert "this photo's own" in images and "fitted on its training images" in images
    assert "would fail" not in images
    assert "3 pixels are 0 in every image, a 0/0 range that a scaler must guard" in images
    assert "7 border pixels are inked in fewer than 1% of the images" in images and "16× more" in images


def test_slow_rate_names_every_variant_that_never_gets_there(page):
    page.select_slider(key="race-lr").set_value(0.0003).run()
    assert not page.exception
    notice = page.info[1].value
    assert "not within 60 epochs standardized" in notice and "not within 60 epochs raw" in notice
    assert "at never" not in notice and "most common class" not in notice  # raw learned something here
    assert "tiny rates like this one" in notice and "try 0.0003" not in notice  # no advice to pick the rate in use


def test_learning_rate_changes_the_training_curves(page):
    before = charts(page)
    page.select_slider(key="race-lr").set_value(0.001).run()
    assert not page.exception
    after = charts(page)
    assert after[1] != before[1] and after[2] != before[2]  # loss and accuracy curves retrained
    assert after[0] == before[0]  # the distributions do not depend on the learning rate
    assert "learning rate 0.001" in page.info[1].value


def test_table_change_redraws_the_distributions(page):
    before = charts(page)
    page.selectbox(key="table").set_value("breast_cancer").run()
    assert not page.exception
    assert charts(page)[0] != before[0]
    assert "mean area" in page.info[0].value or "worst area" in page.info[0].value  # the widest raw feature


def test_leak_toggle_measures_the_difference(page):
    page.toggle(key="leak").set_value(True).run()
    assert not page.exception
    leak = _table(page, "variant", "fit on all rows (leak)")
    assert list(leak.variant) == ["normalized (min-max)", "standardized"]
    assert any("honest estimate" in n.value for n in page.info)


@pytest.mark.parametrize("name, content, problem", [
    ("notes.txt", b"hello", "not a CSV file"),
    ("empty.csv", b"", "empty"),
    ("holes.csv", b"a,label\n1,0\n,1\n" + b"2,0\n" * 10, "empty cells"),
    ("words.csv", b"name\n" + b"ann\n" * 12, "no numeric columns"),
])
def test_bad_upload_shows_an_error_and_the_page_goes_on(page, name, content, problem):
    page.file_uploader(key="upload").set_value((name, content, "text/csv")).run()
    assert not page.exception
    assert any(problem in e.value for e in page.error)
    assert len(page.get("vega_lite_chart")) == 7  # everything above still drawn


def test_good_upload_scales_and_trains_with_a_constant_column(page):
    page.file_uploader(key="upload").set_value(("mine.csv", GOOD_CSV, "text/csv")).run()
    assert not page.exception and not page.error
    assert page.selectbox(key="upload-target").value == "kind"
    assert any("`flat` is constant" in w.value for w in page.warning)
    assert len(page.get("vega_lite_chart")) == 9  # + your table's distributions and accuracy curves
    assert "on your table" in page.info[-1].value


def test_the_outlier_heading_is_neutral_and_the_notice_says_which_scaler_squeezes_most(page):
    headings = ([h.value for h in page.subheader] + [h.value for h in page.header] + [m.value for m in page.markdown]
                + [e.label for e in page.expander])  # a section's heading is its expander's label
    assert not any("min-max squeezes the other rows most" in h for h in headings)
    assert any(h.startswith("5 · One outlier: how much each scaler squeezes the other rows") for h in headings)
    outlier = next(n.value for n in page.info if "one row of alcohol" in n.value)
    assert outlier.endswith(": here min-max squeezes them most.")  # 10x: 36x under min-max
    page.select_slider(key="outlier-factor").set_value(1.0).run()  # the 'outlier' is the largest value itself
    outlier = next(n.value for n in page.info if "one row of alcohol" in n.value)
    assert "min-max squeezes them most" not in outlier
    assert "an outlier this mild squeezes them by at most 10% under every scaler" in outlier


def test_the_surface_notice_gives_the_axis_ratio_as_the_root_without_only(page):
    surface = page.info[2].value
    assert "only 5.5 times" not in surface and "√30.5 = 5.5 times longer than wide" in surface
