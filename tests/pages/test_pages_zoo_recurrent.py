"""AppTest of the RNN / LSTM page: renders from the shipped weights, a typed sequence changes the gates,
a bad one gets a sentence."""
from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from core.zoo import recurrent, recurrent_lab, recurrent_lstms
from tests.conftest import every_section_open
from tests.pages.conftest import charts, tables
from ui.lesson_map import APP_ROOT

PAGE = "11_Zoo_RNN_and_LSTM.py"
N_CHARTS = 10  # lengths, 4 gate panels, unit 1, step answers, per-position accuracy, gradients, the three LSTMs
GRADIENTS = -2  # the gradients' chart: section 6's comes after it


def test_default_render_shows_every_view_from_the_shipped_weights(page):
    assert page.title[0].value == "Zoo: RNN and LSTM"
    assert not page.error and not page.warning
    assert len(page.get("vega_lite_chart")) == N_CHARTS
    notices = [n.value for n in page.info]
    assert len(notices) == 5 and all("What to notice" in n for n in notices)
    answers = next(df for df in tables(page) if "answer" in df.columns).set_index("cell")
    assert answers.loc["LSTM", "right"]


def test_a_typed_sequence_changes_the_gates_and_the_answers(page):
    before = charts(page)
    page.text_input(key="sequence").set_value("A" + "wxyz" * 6).run()
    assert not page.exception and not page.error
    after = charts(page)
    assert after[1] != before[1] and after[0] == before[0]  # new gates, same length sweep
    assert "trained only on sequences of 60 tokens and yours has 25" in page.info[1].value


def test_another_sequence_has_the_trained_length_and_new_gates(page):
    before, text = charts(page), page.text_input(key="sequence").value
    page.button[0].click().run()
    assert not page.exception
    drawn = page.text_input(key="sequence").value
    assert drawn != text and len(drawn) == 60 and drawn[0] in "ABCD"
    assert charts(page)[1] != before[1]


def test_a_sequence_outside_the_alphabet_gets_a_sentence_and_the_page_goes_on_with_the_example(page):
    before = charts(page)
    page.text_input(key="sequence").set_value("Awxq").run()
    assert not page.exception
    assert any("'q' cannot" in e.value and "Showing the example sequence instead." in e.value for e in page.error)
    assert charts(page) == before  # every view below shows the example, none is missing (issue 18)


def test_choosing_one_stage_redraws_the_gradients(page):
    before = charts(page)
    page.button_group(key="stages").set_value(["at initialization"]).run()
    assert not page.exception
    after = charts(page)
    assert after[GRADIENTS] != before[GRADIENTS] and after[-1] == before[-1]  # section 6 stays


def test_training_them_yourself_waits_for_the_button_then_switches_every_view_to_your_networks():
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / PAGE), default_timeout=120))
    # a 1-epoch race at length 10: a few seconds
    for key, value in (("rnn-own", True), ("length", 10), ("rnn-epochs", 1)):
        at.session_state[key] = value
    at.run()
    recipe = recurrent.Recipe(length=10, epochs=1)
    assert [b.label for b in at.button][0] == f"Train it (about {recurrent.expected_seconds(recipe):.0f} s)"
    assert len(at.get("vega_lite_chart")) == N_CHARTS
    assert any("Showing the shipped networks" in c.value for c in at.caption)
    at.button(key="recurrent-own-run-start").click().run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == N_CHARTS + 1  # + the training curves
    assert "at length 10" in at.info[0].value
    assert "of the one at step 10" in at.info[-2].value  # gradients of your networks, at your length
    assert "The one-layer LSTM answers 100% at length 60" in at.info[-1].value  # section 6: the shipped LSTMs


def test_the_gate_and_gradient_sentences_hold_for_their_numbers(page):
    """"Never drops below X" must hold as printed (the old page printed 0.96 for a lowest gate of 0.958), and the
    gradient sentence quotes what the forget gates alone keep next to the measured ratio they do not explain."""
    shipped = recurrent.shipped()
    g = recurrent_lab.gates(recurrent_lab.Gates(), shipped)
    lowest = g.memory[(g.memory.quantity == "forget gate") & (g.memory.step > 1)]["value"].min()
    printed = float(re.search(r"never drops below (\d\.\d+)", page.info[1].value).group(1))
    assert printed <= lowest
    f = recurrent_lab.gradient_flow(recurrent_lab.GradientFlow(), shipped).facts
    text = page.info[3].value
    assert f"a factor of {f.rnn_step_factor:.2f} per step" in text
    assert f"that path alone keeps {f.forget_product_fresh:.2f} of it; the measured {f.lstm_ratio_fresh:.2f}" in text
    # the measured ratio also holds the loss's different sensitivity to the first and the last input, not gates only
    assert "add paths of their own" not in text and "different sensitivity of the loss to the first and last" in text
    # the head reads h = o·tanh(c): two large cell values of the same sign are not "easier to tell apart"
    cell = page.info[1].value
    assert "the further apart, the easier" not in cell and "which saturates beyond about ±3" in cell
    # the cell holds only about 0 right after the symbol: the gate keeps a share per step,
    # not "most of what it held"
    assert "keeps most of what it held" not in cell
    assert "so each step keeps at least that share of what the cell" in cell


def test_the_last_section_sets_the_three_lstms_side_by_side_with_their_facts(page):
    f = recurrent_lstms.lstm_variants(recurrent_lstms.LstmVariants(), recurrent.shipped_lstms()).facts
    summary = next(df for df in tables(page) if "directions" in df.columns).set_index("cell")
    assert summary["layers"].to_dict() == {"LSTM": 1, "2-layer LSTM": 2, "bidirectional LSTM": 1}
    assert summary["directions"].to_dict() == {"LSTM": 1, "2-layer LSTM": 1, "bidirectional LSTM": 2}
    assert summary["parameters"].tolist() == [f.params_lstm, f.params_stacked, f.params_bidirectional]
    assert summary.loc["bidirectional LSTM", f"accuracy at length {f.longest_length}"] == f"{f.far_bidirectional:.0%}"
    text = page.info[-1].value
    assert f"The one-layer LSTM answers {f.far_lstm:.0%} at length {f.longest_length}" in text
    assert f"reaches 90% there with {f.seeds_lstm} of {f.n_seeds} seeds" in text
    assert f"recalls at every length and with all {f.n_seeds} seeds" in text  # the shipped race: seeds 0-4
    assert (f"from the backward half alone it recalls with {f.seeds_backward_only} of the {f.n_seeds} seeds, from "
            f"the forward half alone with {f.seeds_forward_only}") in text
    assert f"a second layer adds {f.params_second_layer:,} parameters" in text
