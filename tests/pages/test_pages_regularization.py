"""AppTest of the regularization page: renders at defaults, controls change the charts and the grid,
bad uploads get a message."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import every_section_open
from tests.pages.conftest import charts, images, opened, tables
from tests.pages.table_fit import HALF_PX, width_px
from tests.pages.test_pages_learning_cycle import untitled

PAGE = "6_Regularization_and_data_augmentation.py"
N_CHARTS = 7  # 2 gap curves, remedy curves, bars, early stopping, weight histograms, augmentation effect


def _pipeline(at: AppTest) -> str:
    return next(c.value for c in at.code if "A.Compose" in c.value)


def test_default_render_shows_every_section(page):
    assert page.title[0].value == "Regularization and data augmentation"
    assert not page.error and not page.warning
    assert len(page.get("vega_lite_chart")) == N_CHARTS
    assert len(images(page)) == 1 + 8 + 1  # the original, 8 augmented samples, the digits
    notices = [n.value for n in page.info]
    assert len(notices) == 6 and all("What to notice" in n for n in notices)
    board = next(df for df in tables(page) if df.columns[0] == "remedy").set_index("remedy")
    assert f"{board.loc['no remedy (baseline)', 'validation accuracy']:.1%}" in notices[0]
    assert "seed=0" in _pipeline(page) and "A.Rotate(limit=30, p=1.0)" in _pipeline(page)
    assert not untitled(page)


def test_weight_decay_changes_the_weights_and_the_curves(page):
    before = charts(page)
    page.select_slider(key="decay").set_value(0.1).run()
    assert page.button(key="remedies-run-start").label == "Train every network (about 4 s)"  # remedies_seconds
    assert charts(page) == before  # the defaults' networks until the press
    page.button(key="remedies-run-start").click().run()
    assert not page.exception
    after = charts(page)
    assert after[5] != before[5] and after[2] != before[2]
    assert "λ = 0.1" in page.info[3].value


def test_seed_and_transforms_change_the_grid(page):
    before = images(page)
    page.number_input(key="aug-seed").set_value(7).run()
    assert not page.exception
    reseeded = images(page)
    assert reseeded[1:9] != before[1:9] and reseeded[0] == before[0]  # new samples, same original
    page.multiselect(key="aug-transforms").set_value(["elastic", "coarse dropout"]).run()
    assert not page.exception
    assert "A.ElasticTransform(alpha=40" in _pipeline(page)
    assert images(page)[1:9] != reseeded[1:9]
    # The sampled parameters' table is drawn only once its expander is opened (ui.show.folded).
    assert not any("keypoints in a hole" in t.columns for t in tables(page))
    table = next(t for t in tables(opened(page, "augment-samples")) if "keypoints in a hole" in t.columns)
    grid_notice = next(n.value for n in page.info if "keypoints survived" in n.value)
    # Before, every lost keypoint was said to have left the frame, also those coarse dropout removed.
    assert f"{table['keypoints out of the frame'].sum()} left the frame" in grid_notice
    assert f"{table['keypoints in a hole'].sum()} fell inside a coarse-dropout hole" in grid_notice


def test_the_notices_show_the_equal_updates_of_augmentation(page):
    effect = next(t for t in tables(page) if "SGD updates" in t.columns)
    assert effect["SGD updates"].nunique() == 1 and effect["batch size"].nunique() == 1
    notice = next(n.value for n in page.info if "For a fair comparison" in n.value)
    assert f"both runs take the same {effect['SGD updates'].iloc[0]} SGD updates" in notice
    board = next(n.value for n in page.info if "the best validation accuracy here" in n.value)
    assert "the same 400 SGD updates as the baseline" in board
    # Lecturer's review: "in batches of 50 instead of 50"; both batch sizes are always equal.
    assert "instead of" not in notice.split("For a fair comparison")[1].split("Validation")[0]
    epochs = dict(zip(effect["training images"], effect["epochs"]))
    assert epochs == {100: 270, 900: 30}
    assert ("both use batches of 50, so the augmented run goes through its 900 images 30 times and the plain one "
            "through its 100 images 270 times.") in notice


def test_differences_of_accuracies_are_said_in_percentage_points(page):
    """Lecturer's review: "a gap of 25.4%", "changes by +1.3%", "a gain of +1.3%" are percentage points."""
    notices = [n.value for n in page.info]
    assert "a gap of 25.4 percentage points" in notices[0] and "a gap of 25.4%" not in notices[0]
    assert "changes by +1.3 percentage points" in notices[3]
    assert "a gain of +1.3 percentage points" in notices[5]


def test_a_win_by_a_handful_of_digits_is_said_to_be_only_just(page):
    """Lecturer's review: the ensemble beats the baseline by 2 of 539 validation digits (74.95% vs 74.58%)."""
    board = next(n.value for n in page.info if "the best validation accuracy here" in n.value)
    assert ("Above the baseline: L2 / weight decay, early stopping, dropout; only just: ensemble of 4, by 2 of 539 "
            "digits; not above it: augmentation (3 copies).") in board  # each name once, no nested parentheses
    assert "the same 539 images" in page.select_slider(key="n-train").help


def test_the_coarse_dropout_text_says_what_happens_to_a_partly_covered_box(page):
    """Albumentations 2.0.8 keeps a partly covered box, trimmed to its uncovered pixels (tests/core/test_augment.py)."""
    text = " ".join(m.value for m in page.markdown)
    assert ("every box the holes cover completely; a box they cover only in part stays, trimmed to the rectangle "
            "around its uncovered pixels (smaller only where a hole spans the box's whole width or height at one of "
            "its edges).") in text


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content, problem", [
    ("notes.txt", b"hello", "not a PNG or JPEG"),
    ("broken.png", _png((40, 40))[:50], "could not be decoded"),
])
def test_bad_upload_shows_an_error_and_the_page_goes_on(page, name, content, problem):
    page.file_uploader(key="aug-upload").set_value((name, content, "image/png")).run()
    assert not page.exception
    assert any(problem in e.value for e in page.error)
    assert len(page.get("vega_lite_chart")) == N_CHARTS and len(images(page)) == 10


def test_an_upload_is_read_once_per_content_for_every_rerun_and_every_student(page, monkeypatch):
    # A 4000 x 4000 image was decoded again on every rerun of every tab (0.45 s of server CPU each time).
    from core import augment

    reads: list[str] = []
    read_image = augment.read_image
    monkeypatch.setattr(augment, "read_image", lambda name, content: reads.append(name) or read_image(name, content))
    good, broken = _png((120, 80)), _png((40, 40))[:50]
    page.file_uploader(key="aug-upload").set_value(("mine.png", good, "image/png")).run()
    assert reads == ["mine.png", "mine.png"]  # checked, then augmented (the grid, kept for its settings)
    page.run()  # a rerun
    # another student, the same file
    other = every_section_open(AppTest.from_file(page._script_path, default_timeout=120)).run()
    other.file_uploader(key="aug-upload").set_value(("mine.png", good, "image/png")).run()
    assert reads == ["mine.png", "mine.png"] and not other.error
    for _ in range(2):  # a file that cannot be read is refused with its message each time, read once
        page.file_uploader(key="aug-upload").set_value(("broken.png", broken, "image/png")).run()
        assert any("could not be decoded" in e.value for e in page.error)
    assert reads == ["mine.png", "mine.png", "broken.png"]


def test_good_upload_is_augmented(page):
    before = images(page)
    page.file_uploader(key="aug-upload").set_value(("mine.png", _png((120, 80)), "image/png")).run()
    assert not page.exception and not page.error
    assert images(page)[0] != before[0]


def test_the_dropout_table_fits_its_half_of_the_page(page):
    dropout = next(t for t in tables(page) if "active units zeroed" in t.columns)
    assert any("active units zeroed" in t.columns for column in page.columns for t in tables(column))
    assert dropout.shape == (6, 4) and dropout["mode"].str.len().max() <= 18  # "train (dropout on)"
    assert width_px(dropout) <= HALF_PX  # "train mode (dropout on)" and "share of active units zeroed" made it 508 px
