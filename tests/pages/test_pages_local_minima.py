"""AppTest of the local-minima page: renders at defaults, its controls change the charts, bad settings get st.error."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import landscapes as ls
from tests.pages.conftest import charts, opened, tables
from tests.pages.table_fit import PAGE_PX, width_px
from tests.pages.test_pages_learning_cycle import untitled
from ui.untrusted import escape

PAGE = "4_Local_minima_and_optimizers.py"


def test_default_render(page):
    assert page.title[0].value == "Local minima and optimizers"
    assert not page.error
    assert len(page.get("vega_lite_chart")) == 16
    notices = [n.value for n in page.info]
    assert len(notices) == 9 and all("What to notice" in n for n in notices)  # section 3: batch noise, escape
    assert any("too large (lr 30)" in w.value for w in page.warning)  # divergence said in words
    assert "SGD, RMSprop, Adam, AdamW: stuck near a local minimum" in notices[2] and "a global minimum" in notices[2]
    assert not untitled(page)


def test_sections_3_and_6_start_by_saying_what_they_show_and_on_which_data(page):
    shown = [m.value for m in page.markdown]
    assert any(m.startswith("The page's small network (2-16-16-1) learns the two moons by plain SGD") for m in shown)
    assert any(m.startswith("The page's small network (337 weights) trained on the two moons by Adam") for m in shown)


def test_surface_and_learning_rate_change_the_race(page):
    before = charts(page)
    page.selectbox(key="race-surface").set_value("rosenbrock").run()
    assert not page.exception and not page.error
    after = charts(page)
    assert after[2] != before[2] and after[3] != before[3]  # the map and the loss curves
    page.number_input(key="race-alr-rosenbrock").set_value(0.001).run()
    assert charts(page)[2] != after[2]
    assert tables(page)[0].set_index("optimizer").loc["Adam", "learning rate"] == 0.001


def test_optimizer_set_changes_the_table(page):
    page.multiselect(key="race-optimizers").set_value(["SGD", "Adam"]).run()
    assert not page.exception
    assert list(tables(page)[0].optimizer) == ["SGD", "Adam"]


def test_the_race_inputs_take_exactly_the_ranges_core_accepts(page):
    # The steps input went to 10,000 and the rates to 100 while core refused above 5,000 and 10: a student
    # could type a value only to be stopped by a red error that removed the rest of the page.
    surface = ls.SURFACES["two_valleys"]
    ranges = {"steps": ("race-steps", 1, ls.MAX_STEPS), "lr": ("race-lr-two_valleys", ls.MIN_LR, ls.MAX_LR),
              "adaptive_lr": ("race-alr-two_valleys", ls.MIN_LR, ls.MAX_LR),
              0: ("race-w1-two_valleys", *surface.box[:2]), 1: ("race-w2-two_valleys", *surface.box[2:])}
    for setting, (key, low, high) in ranges.items():
        proto = page.number_input(key=key).proto
        assert (proto.min, proto.max) == pytest.approx((low, high)), key
        for value in (low, high):  # each end is a race core accepts
            if isinstance(setting, int):
                start = list(surface.start)
                start[setting] = value
                ls.Comparison(surface="two_valleys", start=tuple(start))
            else:
                ls.Comparison(surface="two_valleys", **{setting: value})
    assert f"{ls.MAX_STEPS:,}" in page.number_input(key="race-steps").label


def test_a_too_large_rate_below_the_good_one_shows_an_error_not_a_wrong_sentence(page):
    page.select_slider(key="lr-large").set_value(0.0003).run()
    assert not page.exception
    assert any(escape("ordered too small < good < too large") in e.value for e in page.error)  # shown as text
    assert not any("did not blow up here" in n.value for n in page.info)


def test_momentum_slider_changes_the_valley_paths(page):
    before = charts(page)
    page.slider(key="momentum").set_value(0.95).run()
    assert not page.exception
    assert charts(page)[9] != before[9]
    assert "overshoots" in _notice(page, "plain SGD zig-zags")  # too much momentum swings past the minimum


def test_the_batch_and_noise_tables_fit_the_page_without_scrolling(page):
    assert not any(tables(column) for column in page.columns)  # every table full width, none in a half column
    batch = next(t for t in tables(page) if "gradient variance" in t.columns)
    noise = next(t for t in tables(page) if "SGD, no noise" in t.get("optimizer", pd.Series()).tolist())
    assert width_px(batch) <= PAGE_PX and width_px(noise) <= PAGE_PX
    assert batch.shape == (3, 9) and noise.shape == (2, 7)  # every column still shown and in the CSV
    assert {"noise-table-csv", "escape-table-csv"} <= {b.key for b in page.get("download_button")}


def test_the_momentum_notice_says_what_the_map_shows(page):
    """At μ = 0.7 momentum swings across the valley for longer than plain SGD, yet ends far nearer: the text says so."""
    f = ls.momentum(ls.Momentum()).facts
    assert (f.swing_until_sgd, f.swing_until_momentum) == (5, 16)
    text = _notice(page, "plain SGD zig-zags")
    assert "averages the zig-zag away" not in text
    assert "overshoots across the valley" in text and "until step 16" in text and "after step 5" in text
    assert f"ends {f.distance_momentum:.2g} from the minimum against SGD's {f.distance_sgd:.2g}" in text
    assert "despite a 40× difference in steepness" in text and "(ratio 1, plain SGD's 18)" in text
    assert (f.lr, f.adaptive_lr) == (0.4, 0.3)  # the two families' rates differ: the notice says so
    assert "a learning rate of its own, 0.3 against 0.4 for plain SGD and momentum" in text
    assert f"ends at a loss of {f.final_loss_adam:.2g}." in text


def test_the_race_notice_says_where_each_one_ended_and_in_how_many_places(page):
    text = _notice(page, "where each one ended")
    # Where the points come from, independently of the code: along w2 = 0 the two-valley surface's slope
    # 2 w1³ - 2 w1 + 0.3 is zero at w1 = 0.914 (local) and -1.068 (global); Rastrigin's slope per axis,
    # 2 w + 20π sin(2π w), is zero at -1.990 and 2.985, the dimples next to (-2, 3).
    assert ("SGD, RMSprop, Adam, AdamW: stuck near a local minimum at (0.91, 0); SGD + momentum, Nesterov: near a "
            "global minimum at (-1.07, 0) (near: within 0.08, 2% of the plot's size).") in text
    assert "they end in 2 different places" in text
    page.selectbox(key="race-surface").set_value("rastrigin").run()  # all used to end in one dimple here
    text = _notice(page, "where each one ended")
    assert "they end in 3 different places" in text
    assert "SGD + momentum: stuck near a local minimum at (-1.99, 2.98)" in text
    page.selectbox(key="race-surface").set_value("bowl").run()
    assert "yet here they all end in the same place" in _notice(page, "where each one ended")
    page.selectbox(key="race-surface").set_value("valley").run()  # Nesterov leaves the plot at step 2: no place
    text = _notice(page, "where each one ended")
    assert "those that stayed on the plot all end in the same place (Nesterov left the plot)." in text
    page.selectbox(key="race-surface").set_value("saddle").run()  # SGD is slowed, not stuck: it escapes later
    text = _notice(page, "where each one ended")
    assert "SGD: slowed near the saddle point at (0, 0) (a saddle lets go in the end)" in text and "stuck" not in text


def test_a_path_still_moving_after_two_steps_is_not_called_stuck(page):
    """A lecturer's find: on Rastrigin after 2 steps momentum crosses a dimple at 0.4 a step; it was "stuck"."""
    page.selectbox(key="race-surface").set_value("rastrigin").run()
    page.number_input(key="race-steps").set_value(2).run()
    text = _notice(page, "where each one ended")
    assert "stuck" not in text and "near" not in text.split("Same start")[0]
    assert text.startswith("**What to notice:** where each one ended: SGD, SGD + momentum, Nesterov, RMSprop, Adam, "
                           "AdamW: still on its way. ")


def test_the_escape_run_has_its_own_notice(page):
    text = _notice(page, "on the two-valley surface")
    assert "plain SGD without noise: stuck in a local minimum" in text
    assert "with gradient noise σ = 4 (seed 1): a global minimum. The noise carried it over the ridge" in text
    page.slider(key="escape-seed").set_value(0).run()  # a draw that stays in the local valley
    assert "This draw did not carry it over the ridge" in _notice(page, "on the two-valley surface")


def _notice(at: AppTest, start: str) -> str:
    [text] = [n.value for n in at.info if n.value.startswith(f"**What to notice:** {start}")]
    return text


def test_the_learning_rate_notice_says_the_good_rate_descends_without_a_spike(page):
    text = _notice(page, "after 120 epochs")
    assert "the good one (0.1)" in text and "in a steady descent" in text and "spiked" not in text
    assert "The large one (30) blew up in epoch 1" in text
    page.select_slider(key="lr-good").set_value(0.3).run()  # the old default: it spikes, and the text says so
    assert "but not steadily" in _notice(page, "after 120 epochs")


def test_the_batch_sizes_are_compared_at_equal_updates_or_equal_epochs_and_the_text_says_which(page):
    batch = next(t for t in tables(page) if "gradient variance" in t.columns)
    assert list(batch["updates"]) == [420, 420, 420]
    text = _notice(page, "a batch of 1")
    assert "Every run made the same number of updates (batch 1: 420 updates in 2 epochs" in text
    page.radio(key="noise-budget").set_value("epochs").run()
    assert not page.exception
    batch = next(t for t in tables(page) if "gradient variance" in t.columns)
    assert list(batch["updates"]) == [1260, 84, 6]
    text = _notice(page, "a batch of 1")
    assert "Every run saw the data 6 times" in text and "batch 1 took 210× the updates of the full batch" in text


def test_the_slices_notice_speaks_of_the_directions_sampled_at_equal_updates(page):
    text = _notice(page, "both nets made the same number of Adam updates")
    assert "batch 16: 560 updates in 40 epochs, full batch: 560 updates in 560 epochs" in text
    assert "Along every one of the 12 random filter-normalized directions sampled" in text
    assert "the full batch net sits in the sharper basin" in text and "; so here." in text
    assert "rises in every direction" not in text


def test_the_schedules_notice_says_what_one_cycle_leaves_out(page):
    text = _notice(page, "every learning rate on the left")
    assert "momentum between 0.95 and 0.85" in text and "left out" in text
    assert "Small steps late settle" in text


def test_the_race_notice_says_when_the_learning_rates_differ_too(page):
    """Two valleys: one rate for all six (only the rule differs); Rastrigin: 0.003 for the SGD family, 0.1 for
    the adaptive one, and the text says so instead of 'only the update rule differs'."""
    text = _notice(page, "where each one ended")
    assert "same learning rate (0.05 for SGD, SGD + momentum, Nesterov, RMSprop, Adam and AdamW): only the update " \
           "rule differs" in text
    page.selectbox(key="race-surface").set_value("rastrigin").run()
    text = _notice(page, "where each one ended")
    assert "only the update rule differs" not in text
    assert ("the update rule differs, and so does the learning rate (0.003 for SGD, SGD + momentum and Nesterov, "
            "0.1 for RMSprop, Adam and AdamW)") in text


def test_the_schedules_notice_speaks_of_restarts_only_when_a_picked_schedule_restarts(page):
    text = _notice(page, "every learning rate on the left")  # default: constant, step decay, cosine, one-cycle
    assert "restarts and cycles raise" not in text
    assert "None of the schedules picked raises the rate again later (cosine, warm restarts and cyclic would)" in text
    page.multiselect(key="schedules").set_value(["constant", "cosine, warm restarts", "one-cycle"]).run()
    text = _notice(page, "every learning rate on the left")
    assert "; cosine, warm restarts raise the rate again to shake the weights loose." in text


def test_the_momentum_section_names_the_velocity_b_and_adam_by_its_squared_gradients(page):
    formulas = [m.value for m in page.get("latex")]
    assert any(r"b \leftarrow \mu b + g" in f for f in formulas)
    assert any(r"v \leftarrow \beta_2 v + (1 - \beta_2) g^2" in f for f in formulas)
    assert not any(r"v \leftarrow \mu v" in f for f in formulas)  # v is Adam's second moment, not the velocity
    text = _notice(page, "plain SGD zig-zags")
    assert "by its own gradient size" not in text
    assert "by the root of a running average of its own squared gradients" in text


def test_the_slices_notice_says_what_alpha_one_half_means(page):
    text = _notice(page, "both nets made the same number of Adam updates")
    assert "Half a step" not in text
    assert "At α = ±0.5 (each unit's incoming weights moved by 0.5 times their own norm, biases kept)" in text


def _colour_domain(spec: dict) -> list[str]:
    """The first list of names a spec's scales take as their domain (the colour of each line)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "domain" and isinstance(value, list) and value and isinstance(value[0], str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found[0]


def test_a_schedule_has_one_colour_in_both_schedule_charts(page):
    # The rate chart drew all seven schedules beside the losses of the trained ones: green was exponential
    # decay on the left and cosine annealing on the right.
    import json

    page.multiselect(key="schedules").set_value(["one-cycle", "constant"]).run()
    assert not page.exception
    specs = [json.loads(c.proto.spec) for c in page.get("vega_lite_chart")]
    rates, losses = (s for s in specs if "each schedule" in json.dumps(s.get("title", "")))
    assert _colour_domain(rates) == _colour_domain(losses) == ["one-cycle", "constant"]


def test_the_valley_section_drives_lr_and_momentum_and_the_notice_follows_the_numbers(page):
    """Section 7: the default (lr 0.4, μ 0.5) converges, held back by the flat direction; μ 0.9 is past critical
    damping; lr 0.9 with μ 0.1 diverges. Each time the notice says what the facts say, and the charts change."""
    from core import momentum

    default = momentum.valley(momentum.Valley()).facts
    text = _notice(page, "at lr = 0.4 and μ = 0.5")
    assert f"shrinks by a factor of {default.rate:.3f} per step" in text and "the flat direction sets the pace" in text
    assert "stays below 1% of the start's after 51 steps" in text and "plain SGD (μ = 0, rate 0.96) 111 steps" in text
    assert "the lowest rate at this learning rate (fastest in the long run) is at μ = 0.64 (rate 0.800, 29 steps)" \
        in text and "fastest μ" not in text
    assert "critical damping of the flat direction, (1 − √(lr·λ))² = 0.640" in text
    assert "Up to μ = 0.64 more momentum lowers the long-run rate" in text and "2(1 + μ)/λ_max = 0.75" in text
    assert "sooner" not in text  # μ = 0.5 took 51 steps, the lowest rate's μ 29
    before = charts(page)
    page.slider(key="valley-momentum").set_value(0.9).run()
    assert not page.exception and not page.error
    text = _notice(page, "at lr = 0.4 and μ = 0.9")
    assert "both directions shrink at the same pace, √μ" in text and "Above μ = 0.64 both directions swing" in text
    assert "the long-run rate is √μ, which rises with μ" in text and "slower" not in text
    assert "after 83 steps" in text and "sooner" not in text  # 83 steps against the lowest rate's 29
    page.slider(key="valley-momentum").set_value(0.68).run()
    text = _notice(page, "at lr = 0.4 and μ = 0.68")  # above the lowest rate, yet fewer steps: said, not hidden
    assert "after 22 steps" in text and "Yet μ = 0.68 got below 1% sooner (22 steps) than μ = 0.64 (29 steps)" in text
    assert "k·0.80^k rather than 0.80^k" in text
    page.slider(key="valley-momentum").set_value(0.0).run()
    text = _notice(page, "at lr = 0.4 and μ = 0 (plain SGD)")  # said once, and no limit "moved" to itself
    assert text.count("plain SGD") == 1 and "after 111 steps" in text
    assert "momentum μ raises that limit to 2(1 + μ)/λ_max." in text and "= 0.5. Over" not in text
    page.slider(key="valley-momentum").set_value(0.9).run()
    after = charts(page)
    assert after[-1] != before[-1] and after[-2] != before[-2]  # the map's dot and the error curves
    page.slider(key="valley-lr").set_value(0.9).run()
    page.slider(key="valley-momentum").set_value(0.1).run()
    assert not page.exception and not page.error
    text = _notice(page, "at lr = 0.9 and μ = 0.1")
    assert "the error grows: rate 2.46 ≥ 1 along the steep direction" in text
    assert "lr·λ = 3.6 ≥ 2(1 + μ) = 2.2" in text and "More momentum lets this step converge" in text
    assert "the lowest rate at this learning rate (fastest in the long run) is at μ = 0.81" in text
    table = tables(page)[-1].set_index("run")
    assert table.loc["μ = 0.81 (lowest rate at this lr)", "steps to 1% (measured)"] == 55


def test_the_valley_sliders_take_the_range_of_the_rate_map(page):
    from core import momentum

    lrs = momentum.lr_axis(momentum.Valley().curvatures)
    lr, mu = page.slider(key="valley-lr").proto, page.slider(key="valley-momentum").proto
    assert (lr.min, lr.max, lr.step) == pytest.approx((lrs[0], lrs[-1], 0.01))
    assert (mu.min, mu.max) == pytest.approx((0, momentum.MAX_MOMENTUM))
    page.slider(key="valley-lr").set_value(1.0).run()  # no μ converges at lr λ_max = 4: said, not a crash
    assert not page.exception and "No μ below 1 converges at this learning rate" in _notice(page, "at lr = 1 and")


def test_the_valley_runs_fold_out_as_paths_across_the_valley(page):
    from ui.layout import FIGURE_INFIX

    shown = len(page.get("vega_lite_chart"))
    opened(page, f"valley-paths{FIGURE_INFIX}open")
    assert not page.exception and len(page.get("vega_lite_chart")) == shown + 1
    assert "valley-paths-map-csv" in {b.key for b in page.get("download_button")}
