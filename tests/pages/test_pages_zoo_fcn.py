"""AppTest of the FCN page: the default view from the shipped weights, and controls that change it."""
from streamlit.testing.v1 import AppTest

from core.zoo import fcn, fcn_lab
from core.zoo.source import Inspect, Source
from tests.conftest import every_section_open
from tests.pages.conftest import trained_at_blown_lr
from ui.lesson_map import APP_ROOT

PAGE = "10_Zoo_FCN_segmentation.py"


def _inspect(up: str = fcn.UPSAMPLING[0]) -> fcn_lab.InspectResult:
    """The shipped network of decoder `up`, inspected as the page does."""
    return fcn_lab.inspect(Inspect(Source("fcn", asset=fcn.ASSETS[up])), fcn.shipped(fcn.ASSETS[up]))


def _notes(at: AppTest) -> str:
    return " ".join(i.value for i in at.info)


def test_default_render_shows_a_scene_its_masks_the_iou_and_the_two_kinds_of_output(page):
    assert len(page.get("imgs")) >= 1 or len(page.get("image")) >= 1
    metrics = {m.label: m.value for m in page.metric}
    ev = _inspect()
    assert metrics["Mean IoU of the three shapes"] == f"{ev.mean_iou:.3f}"
    notes = _notes(page)
    assert f"in scene {fcn_lab.busiest_scene()}" in notes and "hardest shape" in notes
    assert "P(disc) is above 0.5" in notes
    assert f"{ev.decoder_parameters:,} of the {ev.parameters:,} weights sit in the decoder" in notes
    assert len(page.get("vega_lite_chart")) == 3  # IoU bars, the probability map, the one-label bars
    assert "shipped weights" in " ".join(c.value for c in page.caption)
    assert not page.error


def test_another_scene_and_class_change_the_pictures_and_numbers(page):
    before = _notes(page)
    page.slider(key="fcn-scene").set_value(7).run()
    page.selectbox(key="fcn-class").set_value("triangle").run()
    after = _notes(page)
    assert not page.exception
    assert "in scene 7" in after and "P(triangle)" in after and before != after


def test_the_map_notice_says_found_only_where_the_map_overlaps_the_mask(page):
    """Issue 16: in the default scene P(triangle) > 0.5 covers 34 pixels for a 14-pixel triangle: not "found where
    it is"."""
    disc = fcn_lab.look(fcn_lab.Look(scene=fcn_lab.busiest_scene()), fcn.shipped()).map_facts["disc"]
    assert "the map finds the disc where it is" in _notes(page)
    assert f"{disc.map_inside_true} of them inside the true disc" in _notes(page)
    page.selectbox(key="fcn-class").set_value("triangle").run()
    notes = _notes(page)
    assert "the map finds the triangle only roughly" in notes and "finds the triangle where it is" not in notes
    scores = _inspect().score_facts  # checked against an all-background answer in tests/zoo/test_zoo_fcn.py
    assert (f"would get {scores.all_background_pixel_accuracy:.0%} of pixels right (this one: "
            f"{scores.fcn_pixel_accuracy:.1%}) and an IoU of 0 for every shape") in notes


def test_the_other_decoder_changes_the_diagram_and_the_scores(page):
    before = {m.label: m.value for m in page.metric}
    page.radio(key="fcn-up").set_value(fcn.UPSAMPLING[1]).run()
    assert not page.exception
    ev = _inspect(fcn.UPSAMPLING[1])
    notes = _notes(page)
    assert "bilinear interpolation" in notes and f"of the {ev.parameters:,} weights" in notes
    after = {m.label: m.value for m in page.metric}
    assert after["Mean IoU of the three shapes"] == f"{ev.mean_iou:.3f}" != before["Mean IoU of the three shapes"]


def test_a_shared_link_opens_on_its_class_and_scene():
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / PAGE), default_timeout=120))
    at.query_params.update({"fcn-class": "square", "fcn-scene": "3"})
    at.run()
    assert not at.exception
    assert "in scene 3" in _notes(at) and "P(square)" in _notes(at)


def test_train_it_yourself_trains_and_labels_the_view(page):
    page.query_params.update({"fcn-epochs": "1", "fcn-train": "300"})  # a tiny run, not the default 20 epochs
    page.toggle(key="fcn-own").set_value(True).run()
    page.slider(key="fcn-epochs").set_value(1).run()
    page.select_slider(key="fcn-train").set_value(300).run()
    assert not page.exception
    recipe = fcn.Recipe(epochs=1, n_train=300)
    assert [b.label for b in page.button] == [f"Train it (about {fcn.expected_seconds(recipe):.0f} s)"]
    assert "the shipped weights" in " ".join(c.value for c in page.caption)  # nothing trains before the press
    page.button(key="fcn-own-run-start").click().run()
    captions = " ".join(c.value for c in page.caption)
    assert "**your** network" in captions and "Adam for 1 epoch on" in captions
    assert len(page.get("vega_lite_chart")) >= 4  # the student's curves are drawn too


def test_a_run_whose_loss_blows_up_says_so_under_its_curves(monkeypatch):
    """Issue 19: the trainer's sentence reaches the page (one network: no name before it). The widgets cap Adam's
    learning rate, so the test trains at one no recipe accepts."""
    at = trained_at_blown_lr(monkeypatch, fcn, PAGE, {"fcn-own": "true", "fcn-epochs": "2", "fcn-train": "300"})
    said = fcn.train(fcn.Recipe(epochs=2, n_train=300)).messages["FCN"]  # the same seeded run: the same sentence
    assert "at epoch 1: the learning rate is too large" in said and "Try a smaller one" not in said
    assert said.endswith("This page trains at a fixed learning rate of 0.01: another seed starts from other weights "
                         "and another batch order.")  # the page has no learning-rate control
    assert [w.value for w in at.warning] == [said + " So the page shows its weights from epoch 0, before any training."]
    caption = next(c.value for c in at.caption if "**your** network" in c.value)
    assert "; stopped where its loss blew up (below), after " in caption
    assert "trained in" not in caption
    untrained = ("**What to notice:** the FCN kept the weights of epoch 0: its loss blew up in the first epoch, so "
                 "what this section shows of it comes from the random weights it started with, not from training.")
    notices = [n.value for n in at.info]
    assert len(notices) == 4 and notices[1:] == [untrained] * 3  # the architecture's notice stays


def test_the_iou_is_explained_as_pixels_and_its_mean_as_over_the_three_shapes(page):
    """Lecturer's review: "1 is a perfect outline" said IoU scores outlines, it scores pixels; "a mean IoU" of the
    other network left unsaid that the background class is not in that mean."""
    text = " ".join(m.value for m in page.markdown)
    assert "1 is a perfect outline" not in text
    assert "1: the pixels predicted for a class are exactly its true pixels; predicting none of them scores 0." in text
    other = fcn.shipped_meta(fcn.UPSAMPLING[1])["val_mean_iou"]
    assert f"scores a mean IoU over the three shapes of {other:.3f}." in _notes(page)
