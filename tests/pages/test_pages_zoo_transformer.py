"""AppTest of the Transformer page: shipped models at defaults, a typed word and the model change the maps, bad words
get a sentence, and a student's own model trains and is shown the same way."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.zoo import transformer
from tests.conftest import every_section_open
from tests.pages.conftest import tables
from ui.lesson_map import APP_ROOT

PAGE = "12_Zoo_Transformer.py"
N_CHARTS = 9  # attention, worked vectors, encoding, similarity, masks, by position, next token, sampled, cross


def _specs(at: AppTest) -> list[str]:
    return [c.proto.spec for c in at.get("vega_lite_chart")]


def _wrote(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("The model wrote"))


def test_default_render_shows_every_section_with_its_numbers(page):
    assert page.title[0].value == "Zoo: Transformer"
    assert not page.error and not page.warning
    assert len(page.get("vega_lite_chart")) == N_CHARTS
    notices = [n.value for n in page.info]
    assert len(notices) == 8 and all("What to notice" in n for n in notices)
    scores = next(df for df in tables(page) if "letter accuracy" in df.columns).set_index("design")
    assert f"{scores.loc['encoder-only (full mask)', 'letter accuracy']:.1%}" in notices[0]
    assert _wrote(page).startswith("The model wrote **NOITNETTA**")
    steps = next(df for df in tables(page) if "writes" in df.columns)
    assert "".join(steps.writes) == "YDEERG·"  # GREEDY, reversed by greedy generation, then the end token
    assert not page.toggle(key="tx-own").value


def test_the_model_and_the_word_change_the_attention_maps(page):
    before = _specs(page)
    page.radio(key="design").set_value("causal").run()
    assert not page.exception
    causal = _specs(page)
    # only section 2 changes: the attention maps and the worked query's vectors
    assert causal[0] != before[0] and causal[1] != before[1] and causal[2:] == before[2:]
    assert not _wrote(page).startswith("The model wrote **NOITNETTA**")
    # the causal model's best head puts less on the letter than a uniform row would: no claim that it copies
    assert "That is copying by attention" not in page.info[1].value and "does not copy" in page.info[1].value
    page.text_input(key="word").set_value("reverse").run()
    assert not page.exception and not page.error
    assert "the reversed word is **ESREVER**" in _wrote(page) and _specs(page)[0] != causal[0]


def test_positions_slider_changes_the_encoding(page):
    before = _specs(page)
    page.select_slider(key="pe-positions").set_value(10).run()
    assert not page.exception
    after = _specs(page)
    assert after[2] != before[2] and after[3] != before[3] and after[:2] == before[:2]


def test_an_invalid_word_gets_a_sentence_and_the_page_goes_on(page):
    page.text_input(key="word").set_value("hello!").run()
    assert not page.exception
    assert any("Use only the letters A to Z" in e.value and "instead" in e.value for e in page.error)
    assert len(page.get("vega_lite_chart")) == N_CHARTS  # the default word is shown instead
    page.text_input(key="prompt").set_value("ABCDEFGHIJKL").run()
    assert any("you typed 12" in e.value for e in page.error)
    assert len(page.get("vega_lite_chart")) == N_CHARTS


def test_train_it_yourself_waits_for_its_button_then_shows_the_same_views_for_the_students_model():
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / PAGE), default_timeout=120))
    at.query_params.update({"tx-own": "true", "own-epochs": "2", "own-layers": "1",
                            "own-design": "decoder-only (causal mask, generates)"})
    at.run()
    assert not at.exception and not at.error
    assert at.toggle(key="tx-own").value and at.slider(key="own-epochs").value == 2  # a shared link's settings
    assert at.selectbox(key="own-design").value == "decoder"
    recipe = transformer.Recipe(design="decoder", layers=1, epochs=2)
    assert [b.label for b in at.button] == [f"Train it (about {transformer.expected_seconds(recipe):.0f} s)"]
    assert len(at.get("vega_lite_chart")) == N_CHARTS  # the link alone trains nothing
    at.button(key="transformer-own-run-start").click().run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == N_CHARTS + 3  # curves, accuracy by position, attention of your model
    mine = next(df for df in tables(at) if df.columns[0] == "model").set_index("model")
    notice = next(n.value for n in at.info if "your 1-layer, 2-head model" in n.value)
    assert f"{mine.loc['yours', 'letter accuracy']:.1%}" in notice
    assert "Try 1 layer" not in notice and "With 1 layer" in notice  # it has 1 already


def test_the_mask_section_says_which_model_uses_which_mask_and_what_an_encoder_does(page):
    """Encoder-only models do not translate, yet translation does not need an encoder (the old page said so):
    decoder-only models translate by continuing a prompt; and the causal mask is GPT's."""
    text = next(m.value for m in page.markdown if m.value.startswith("**Full mask"))
    assert "translate it" not in text and "Translation needs an encoder" not in text
    assert "paired an encoder with a decoder" in text and "decoder-only models such as GPT can translate too" in text
    notice = next(n.value for n in page.info if "the causal mask is GPT's" in n.value)
    assert "BERT's full mask vs GPT's triangle" not in notice
    assert "the causal mask is GPT's (decoder-only) triangle; BERT (encoder-only) uses the full mask" in notice
    # the last answer position writes the word's first letter only in a word of that many letters
    assert "which in a 10-letter word writes the word's first letter" in notice


def _notice(at: AppTest, start: str) -> str:
    return next(n.value for n in at.info if n.value.startswith(f"**What to notice:** {start}"))


def test_the_worked_query_follows_its_head_and_letter_and_states_the_tables_numbers(page):
    keys = next(df for df in tables(page) if "q·k / √16" in df.columns)
    top = keys.loc[keys.weight.idxmax()]
    notice = _notice(page, "the highest score")
    assert top.key == "8 N" and f"key 8 `N` ({top['q·k / √16']:.2f})" in notice and f"{top.weight:.1%}" in notice
    assert keys.weight.sum() == __import__("pytest").approx(1, abs=1e-5)
    assert top.weight > 0.5 and "more than half, so the output is mostly that key's value" in notice
    assert any("before the attention's output projection (`out`)" in m.value for m in page.markdown)
    before = _specs(page)
    page.selectbox(key="tx-worked-head").set_value(1).run()  # layer 1, head 1
    assert not page.exception and "Layer 1, head 1" in next(m.value for m in page.markdown if "q = `[" in m.value)
    notice = _notice(page, "the highest score")  # its top key gets 29.8%, the next 18.3%: a blend
    assert "under half, so the output is a blend" in notice and "mostly" not in notice and "29.8%" in notice
    assert _specs(page)[1] != before[1]
    page.slider(key="tx-worked-letter").set_value(3).run()
    assert not page.exception
    assert "query position **2 `T`**" in next(m.value for m in page.markdown if "q = `[" in m.value)
    page.radio(key="design").set_value("decoder").run()  # the causal mask hides the later keys
    assert not page.exception and "The causal mask lets it read keys 0 to 12 only" in _notice(page, "the highest")


def test_sampling_controls_change_the_drawn_distribution_and_the_text(page):
    notice = _notice(page, "at step 1")
    assert "Sampling wrote **YDEHRG**" in notice and "greedy writes **YDEERG**" in notice
    distribution = _specs(page)[-2]  # the last one is section 6's cross-attention
    page.slider(key="tx-top-k").set_value(1).run()
    assert not page.exception and "with T = 2 and top-1, 1 token keeps a chance" in _notice(page, "at step 1")
    assert "Every step drew the most likely token" in _notice(page, "at step 1")
    assert _specs(page)[-2] != distribution
    page.select_slider(key="tx-temperature").set_value(0.5).run()
    page.slider(key="tx-top-k").set_value(28).run()
    assert "Sampling wrote **YDEERG**" in _notice(page, "at step 1")
    page.select_slider(key="tx-temperature").set_value(0.0).run()  # greedy: top-k has no effect
    notice = _notice(page, "at step 1")
    assert "T = 0 is greedy, whatever top-k keeps" in notice and "top-28" not in notice and "gets 100.0%" in notice
    page.select_slider(key="tx-temperature").set_value(2.0).run()
    page.number_input(key="tx-sample-seed").set_value(3).run()
    page.slider(key="tx-sample-step").set_value(4).run()
    assert not page.exception and _notice(page, "at step 4")


def test_the_encoder_decoder_writes_the_typed_word_reversed_with_its_cross_attention(page):
    assert "It wrote **ECNEUQES**; the reversed word is **ECNEUQES**." in [m.value for m in page.markdown]
    notice = _notice(page, "to write answer letter")
    assert "must read input position *n* − *i* (counted from 0" in notice and "*n* − 1 − *i*" not in notice
    assert "peaks there for 100% of the letters" in notice or "peaks there for 8" in notice
    held_out = __import__("core.zoo.transformer_seq2seq", fromlist=["shipped"]).shipped().scores["word_accuracy"]
    assert f"writes {held_out:.1%} exactly right" in notice
    before = _specs(page)[-1]
    page.text_input(key="tx-seq2seq-word").set_value("decoder").run()
    assert not page.exception and "the reversed word is **REDOCED**" in next(
        m.value for m in page.markdown if m.value.startswith("It wrote"))
    assert _specs(page)[-1] != before
    page.text_input(key="tx-seq2seq-word").set_value("x").run()
    assert any("between 2 and 10" in e.value for e in page.error) and len(page.get("vega_lite_chart")) == N_CHARTS
