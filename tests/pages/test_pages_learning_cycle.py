"""AppTest of the learning-cycle page: renders at defaults, and its controls change what is shown."""
import json

from streamlit.testing.v1 import AppTest

from core import learning_cycle
from tests.conftest import every_section_open
from tests.pages.conftest import tables
from tests.pages.table_fit import PAGE_PX, width_px
from ui import widgets
from ui.lesson_map import APP_ROOT
from ui.parts import learning_cycle as parts

PAGE = "2_Learning_cycle.py"  # run by the `page` fixture of conftest.py


def untitled(at: AppTest) -> list[str]:
    """The page's charts with no title saying what they show (a facet may carry it on its inner spec), by key."""
    specs = [(c.proto.id.rsplit("-", 2)[-1], json.loads(c.proto.spec)) for c in at.get("vega_lite_chart")]
    return [key for key, spec in specs if not (spec.get("title") or spec.get("spec", {}).get("title"))]


def charts(at: AppTest) -> dict[int, str]:
    """Each chart's spec and data as one string, by its position on the page."""
    return {i: el.proto.spec + json.dumps([d.data.data.hex() for d in el.proto.datasets])
            for i, el in enumerate(at.get("vega_lite_chart"))}


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_default_render(page):
    assert not page.error
    assert metric(page, "Iterations per epoch") == "21"  # ceil(210 / 10)
    assert metric(page, "Iterations in all") == "1260"
    assert len(page.get("vega_lite_chart")) == 9  # map, curves, iterations, confusion, 1 + 3 sizes, play curves
    assert any("Step 0" in m.value for m in page.markdown)
    assert metric(page, "Prediction").startswith("class ")
    assert not untitled(page)
    assert set(_titles(page)) >= {"Confusion matrix, 90 validation points", "Loss of each training batch (two moons)"}


def test_next_step_changes_the_numbers_and_the_step_goes_into_the_share_link(page):
    assert [b.label for b in page.button][:3] == ["◀ Previous", "Next step ▶", "Back to step 0"]  # left to right
    before = [e.value for e in page.get("latex")]
    page.button[1].click().run()  # "Next step"
    assert any("Step 1" in m.value for m in page.markdown)
    assert [e.value for e in page.get("latex")] != before
    page.button[1].click().run()
    assert page.query_params["cycle-step"] == "2"  # the share link names the step
    page.button[0].click().run()  # "Previous"
    assert page.query_params["cycle-step"] == "1"
    page.button[2].click().run()  # "Back to step 0": the default, so out of the link
    assert "cycle-step" not in page.query_params and any("**Step 0**" in m.value for m in page.markdown)


def test_a_link_with_a_step_reopens_at_that_step():
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / PAGE), default_timeout=120))
    at.query_params["cycle-step"] = "2"
    at.run()
    assert not at.exception
    assert at.number_input(key="cycle-step").value == 2
    assert any(m.value.startswith("**Step 2**") for m in at.markdown)


def test_each_step_of_the_cycle_is_shown_alone_and_a_link_can_open_one(page):
    """One of the four parts at a time: the forward pass's equations by default, the loss with its chart, and the
    update's four rows (W1, b1, W2, b2); a link naming a part opens it."""
    def shown() -> tuple[list[str], int]:
        return [e.value.strip("$\n") for e in page.get("latex")], len(page.get("vega_lite_chart"))

    forward, charts_at_first = shown()
    assert len(forward) == 5 and forward[0].startswith("z_1 = X W_1 + b_1")
    page.segmented_control(key="step-part").set_value(parts.PARTS[1]).run()
    loss, charts_with_loss = shown()
    assert len(loss) == 1 and loss[0].startswith("L = ") and charts_with_loss == charts_at_first + 1
    page.segmented_control(key="step-part").set_value(parts.PARTS[3]).run()
    update, _ = shown()
    assert [e[:3] for e in update] == ["W_1", "b_1", "W_2", "b_2"] and not page.exception
    linked = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / PAGE), default_timeout=120))
    linked.query_params["step-part"] = parts.PARTS[2]
    linked.run()
    assert linked.get("latex")[0].value.strip("$\n").startswith(r"\frac{\partial L}{\partial z_2}")


def test_batch_size_and_epochs_change_iterations_and_curves(page):
    before = charts(page)
    page.select_slider(key="live-batch").set_value(32).run()
    page.slider(key="live-epochs").set_value(20).run()
    assert not page.exception
    assert metric(page, "Iterations per epoch") == "7"  # ceil(210 / 32)
    assert metric(page, "Iterations in all") == "140"
    after = charts(page)
    assert after[0] != before[0]  # the decision map of the newly trained net


def _train(at: AppTest) -> AppTest:
    """Press the live run's start button (ui/launch.run keys it `live-run-start`)."""
    return at.button(key="live-run-start").click().run()


def test_a_quick_dataset_change_trains_at_once_and_changes_the_map(page):
    before = charts(page)
    cfg = learning_cycle.LiveRun(dataset="circles", epochs=30)
    assert learning_cycle.expected_seconds(cfg) < widgets.LONG_S  # its computing and play: under the button's 3 s
    page.slider(key="live-epochs").set_value(30).run()
    page.selectbox(key="live-dataset").set_value("circles").run()
    assert not page.exception and not _has_start(page)
    assert _title(_live_map(page)).startswith("The net's P(class 1) on circles")
    assert charts(page)[0] != before[0]


def _has_start(at: AppTest) -> bool:
    return any(b.key == "live-run-start" for b in at.button)


def _train_if_asked(at: AppTest) -> AppTest:
    """Press the start button where the run's expected seconds (computing or play, and the page) ask for one."""
    return _train(at) if _has_start(at) else at


def test_a_long_run_waits_for_its_button_then_changes_the_map(page):
    page.slider(key="live-n").set_value(1000).run()
    page.slider(key="live-epochs").set_value(300).run()
    assert not page.exception
    seconds = learning_cycle.expected_seconds(learning_cycle.LiveRun(n_samples=1000, epochs=300))
    assert seconds >= widgets.LONG_S  # 150 reports played at 60 a second, and the page around them
    assert page.button(key="live-run-start").label == f"Train it (about {seconds:.0f} s)"
    assert not any(title.startswith("The net's P(class 1)") for title in _titles(page))  # nothing trained yet
    assert any("press **Train it**" in i.value for i in page.info)
    _train(page)
    assert not page.exception
    assert _title(_live_map(page)).endswith("after epoch 300")


def test_huge_learning_rate_is_explained_not_raised(page):
    _train_if_asked(page.select_slider(key="live-lr").set_value(100.0).run())
    assert not page.exception
    assert any("learning rate is too large" in w.value for w in page.warning)
    assert any("diverged" in e.value for e in page.error)  # inference refuses politely


def _notice(at: AppTest, start: str) -> str:
    return next(i.value for i in at.info if i.value.startswith(f"**What to notice:** {start}"))


def test_inference_says_near_or_far_from_the_boundary_as_it_is(page):
    assert "lies near the decision boundary" in _notice(page, "inference")  # (0.5, 0.25): P(class 1) = 0.38
    page.number_input(key="infer-x1").set_value(-1.0).run()
    page.number_input(key="infer-x2").set_value(0.5).run()
    far = _notice(page, "inference")
    assert "lies far from the decision boundary" in far and "the network is sure: P(class 1) = 0.00" in far
    assert "close to 0.5" not in far  # it once said "near the boundary P(class 1) is close to 0.5 (here 0.00)"


def test_under_and_overfit_notice_at_the_defaults(page):
    text = _notice(page, "the too-small net")
    assert "it underfits" in text and "it overfits" in text and "a good fit with no overfitting to speak of" in text


def _title(spec: dict) -> str:
    """A chart's title as one line (ui/show wraps a long one into a list of lines)."""
    title = spec.get("title", "")
    text = title if isinstance(title, (str, list)) else title.get("text", "")
    return " ".join(text) if isinstance(text, list) else text


def _titles(at: AppTest) -> list[str]:
    return [_title(json.loads(c.proto.spec)) for c in at.get("vega_lite_chart")]


def _live_map(at: AppTest) -> dict:
    return next(spec for spec in (json.loads(c.proto.spec) for c in at.get("vega_lite_chart"))
                if _title(spec).startswith("The net's P(class 1) on"))


def test_the_point_asked_about_is_marked_on_the_map_with_its_prediction_beside_it(page):
    prediction = metric(page, "Prediction")  # section 3's answer for the typed point (0.5, 0.25)
    cross, halo, words = _live_map(page)["layer"][-3:]
    assert (cross["mark"]["type"], cross["mark"]["shape"]) == ("point", "cross")
    assert halo["mark"]["type"] == words["mark"]["type"] == "text" and words["encoding"]["text"]["field"] == "text"
    beside = next(m.value for m in page.markdown if m.value.startswith("✚"))  # under the map, not ~800 px lower
    assert beside.startswith(f"✚ **(0.5, 0.25) → {prediction}**")


def test_a_click_on_the_map_is_the_point_asked_about():
    assert parts.clicked_point(None) is None
    assert parts.clicked_point({"selection": {"click": []}}) is None
    assert parts.clicked_point({"selection": {"click": [{"x1": 1.23456, "x2": -0.5012}]}}) == (1.23, -0.5)


def test_inference_reads_the_typed_point(page):
    page.number_input(key="infer-x1").set_value(-1.0).run()
    page.number_input(key="infer-x2").set_value(0.5).run()
    assert metric(page, "Prediction") == "class 0"  # the upper-left moon is class 0
    page.number_input(key="infer-x1").set_value(2.0).run()
    page.number_input(key="infer-x2").set_value(-0.3).run()
    assert metric(page, "Prediction") == "class 1"
    assert next(m.value for m in page.markdown if m.value.startswith("✚")).startswith("✚ **(2, -0.3) → class 1**")


def test_noise_changes_the_fit_sizes_table(page):
    before = tables(page)[0].copy()
    page.slider(key="sizes-noise").set_value(0.4).run()
    assert not page.exception
    assert not tables(page)[0].equals(before)


def test_long_runs_draw_thinned_charts_without_error(page):
    page.slider(key="sizes-epochs").set_value(1000).run()  # 9,000 history rows: thinned to Altair's 5,000
    assert page.button(key="sizes-run-start").label == "Train the three nets (about 7 s)"  # sizes_seconds
    assert len(page.get("vega_lite_chart")) == 5  # the sizes' charts wait for the press (section 5's curves: 1)
    page.button(key="sizes-run-start").click().run()
    assert not page.exception and not page.error
    assert len(page.get("vega_lite_chart")) == 9


def test_too_many_updates_is_refused_with_a_sentence(page):
    page.select_slider(key="live-batch").set_value(1).run()
    page.slider(key="live-n").set_value(1000).run()
    page.slider(key="live-epochs").set_value(300).run()
    assert not page.exception
    assert any("weight updates" in e.value for e in page.error)


def test_a_batch_larger_than_the_training_set_falls_back_to_full_batch(page):
    page.slider(key="live-n").set_value(50).run()
    _train_if_asked(page.select_slider(key="live-batch").set_value(64).run())
    assert not page.exception and not page.error
    assert any("full batch" in w.value for w in page.warning)
    assert metric(page, "Iterations per epoch") == "1"
    assert metric(page, "Training samples") == "34"  # the per-class split of 50 moons
    assert len(page.get("vega_lite_chart")) == 9  # the rest of the page still renders


def test_the_sizes_table_fits_the_page_without_scrolling(page):
    sizes = next(t for t in tables(page) if "best epoch (val loss)" in t.columns)
    assert sizes.shape == (3, 9)  # every column still shown
    assert width_px(sizes) <= PAGE_PX  # "lowest validation loss at epoch" made it 1,044 px
