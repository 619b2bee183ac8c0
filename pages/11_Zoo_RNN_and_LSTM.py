"""Zoo: RNN and LSTM (slide 69): memory over long sequences, the LSTM's gates, sequence vs single output, gradient flow."""
import inspect

import streamlit as st

from core import charts
from core.charts import recurrent as rch
from core.zoo import overview, recurrent as rc, recurrent_nets as nets, sequences
from ui import chrome, runners, show

card = next(a for a in overview.ARCHITECTURES if a.page == "pages/11_Zoo_RNN_and_LSTM.py")
chrome.page("Zoo: RNN and LSTM", "69", f"""- **Purpose:** {card.purpose}
- **Architecture:** {card.architecture}
- **Output:** {card.output}

Below, a plain RNN, a GRU and an LSTM (32 hidden units each, PyTorch's `nn.RNN`, `nn.GRU`, `nn.LSTM`) take the same
memory test. They open with weights shipped with the app; train your own just below and every view switches to them.""")

# 1. The task, and which networks -----------------------------------------------------------------------------------
chrome.section("1 · A memory test: recall the first symbol after many distractors", "69")
st.markdown(f"Each sequence starts with a **symbol** ({', '.join(sequences.SYMBOLS)}), then only **distractors** "
            f"({', '.join(sequences.DISTRACTORS)}). After the last token the network must name the first one, e.g. "
            f"`{sequences.example(20, seed=3)}` → **{sequences.example(20, seed=3)[0]}**. Guessing gives 25%.")
with st.container(border=True):
    own = st.toggle("Train them yourself (all three side by side: about 5 to 40 s on a free 2-core CPU)", key="rnn-own",
                    bind="query-params")
    source, race = None, None
    if own:
        c1, c2, c3, c4 = st.columns(4)
        length = c1.select_slider("Sequence length (tokens, up to 100)", (5, 10, 20, 30, 45, 60, 80, 100), 60,
                                  key="length", bind="query-params")
        keep = c2.select_slider("Keep-gate bias at the start (LSTM forget, GRU update)", (0.0, 1.0, 3.0), 3.0,
                                key="keep", bind="query-params", help="Added to the gate's bias before training: "
                                "+3 makes a fresh gate keep ~95% of the old state each step.")
        hidden = c3.select_slider("Hidden units", (16, 32, 64), 32, key="hidden", bind="query-params")
        epochs = c4.slider("Epochs (4,000 sequences each, at most 8)", 1, 8, 5, key="rnn-epochs", bind="query-params")
        source = runners.config(rc.Race, length=length, keep_bias=keep, hidden=hidden, epochs=epochs)
        slot = st.empty()
        race = runners.run(rc.race, source, label="Training the RNN, the GRU and the LSTM side by side",
                           live=lambda snap: show.redraw(slot, charts.curves(snap.history, "accuracy")))
        with slot.container():
            show.chart(charts.curves, race.history, "accuracy", key="own-curves")
        rf = race.facts
        chrome.notice(f"after {rf.own_epochs} epoch{'s' * (rf.own_epochs > 1)} at length {rf.own_length} "
                      f"({rf.own_seconds:.0f} s) the RNN answers {rf.own_rnn:.0%}, the GRU {rf.own_gru:.0%} and the "
                      f"LSTM {rf.own_lstm:.0%} of the validation sequences. Every view below now shows these "
                      "networks.", rf)

# 2. Accuracy vs length ---------------------------------------------------------------------------------------------
chrome.section("2 · Accuracy vs sequence length, the three cells trained side by side", "69")
lengths = rc.length_table(race.accuracy if race else None)
show.chart(rch.length_curves, lengths, key="lengths")
lf = rc.length_facts(lengths)
rnn = (f"then falls to {lf.far_rnn:.0%} at length {lf.longest_length}, where {lf.chance:.0%} is guessing"
       if lf.rnn_falls else f"and still answers {lf.far_rnn:.0%} at length {lf.longest_length}")
gated = (f"The LSTM still answers {lf.far_lstm:.0%} and the GRU {lf.far_gru:.0%}: their gates let the memory pass "
         "through the distractors." if lf.gated_hold else
         f"The LSTM answers {lf.far_lstm:.0%} and the GRU {lf.far_gru:.0%} at length {lf.longest_length}.")
chrome.notice(f"with the same data, schedule and seed, the plain RNN recalls the symbol (≥ 90% right) at every length "
              f"measured up to {lf.reach_rnn}, {rnn}. {gated}", lf)

# 3. Inside the LSTM ------------------------------------------------------------------------------------------------
chrome.section("3 · Inside the LSTM: its gates at every step of one sequence", "69")
trained_length = rc.trained_on(source).length
st.session_state.setdefault("draws", 0)


def draw() -> None:
    """A fresh sequence of the length the networks were trained on (the button's callback)."""
    st.session_state.draws += 1
    st.session_state.sequence = sequences.example(trained_length, seed=1000 + st.session_state.draws)


c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
text = c1.text_input(f"Your sequence: one symbol A-D, then distractors w-z ({sequences.MIN_LENGTH} to "
                     f"{sequences.MAX_LENGTH} tokens; the networks were trained on {trained_length})", rc.Typed().sequence,
                     key="sequence", bind="query-params")
c2.button(f"New sequence ({trained_length} tokens)", on_click=draw, icon=":material/casino:")
typed = runners.config(rc.Typed, sequence=text, source=source)
g = runners.run(rc.gates, typed, label="Running the LSTM step by step")
show.table(g.answers, key="answers")
for row in range(2):
    for column, quantity in zip(st.columns(2), nets.GATES[2 * row : 2 * row + 2]):
        with column:
            show.chart(rch.gate_heat, g.gates, quantity, data=g.gates, key=f"gate-{quantity.split()[0]}")
st.markdown("**Unit 1**, the unit whose last cell state depends most on the first symbol, step by step:")
show.chart(rch.unit_lines, g.memory, key="unit-1")
with st.expander("The LSTM's equations, as this page computes them from `nn.LSTM`'s weights"):
    st.code(inspect.getsource(nets.lstm_steps))
gf = g.facts
ends = ", ".join(f"{symbol}: {c:+.1f}" for symbol, c in zip(gf.end_symbols, gf.cell_ends))
other = (f" It was trained only on sequences of {gf.trained_length} tokens and yours has {gf.typed_length}: it learned "
         f"to read its memory after token {gf.trained_length}, so on other lengths it can be wrong."
         if gf.length_differs else "")
keeps = (f"never drops below {gf.forget_floor:.2f} after the symbol, so each step keeps at least that share of what the "
         f"cell holds (over all the steps, its forget gates multiply to {gf.forget_product:.2f})" if gf.keeps_most else
         f"drops to {gf.forget_floor:.2f} after the symbol: there its cell loses most of what it held")
chrome.notice(f"the LSTM answers **{gf.lstm_answer}** (P = {gf.lstm_probability:.2f}), which is "
              f"{'right' if gf.lstm_right else 'wrong'}.{other} Unit 1's forget gate {keeps}; its cell state goes from "
              f"{gf.cell_first:+.2f} after the symbol to {gf.cell_last:+.1f} at the end, written to along the way. "
              f"With each first symbol and the same distractors it would end at {ends}: the sign and size "
              "of c record the symbol; the head reads h = o·tanh(c), which saturates beyond about ±3, so telling apart "
              "two large cell values of the same sign takes other units as well. Gates lie in (0, 1); the cell state is a "
              "running sum (c = f·c + i·g), not squashed.", gf)

# 4. Sequence output vs single output -------------------------------------------------------------------------------
chrome.section("4 · One answer at the end, or one answer per step", "69")
o = runners.run(rc.outputs, typed, label="Running both kinds of output")
left, right = st.columns(2)
with left:
    st.markdown("**Single output** (a sentiment): the head reads only the last hidden state")
    show.layers(o.layers_single, key="layers-single", title="Tokens")
with right:
    st.markdown("**Sequence output** (the next word): the head reads every hidden state")
    show.layers(o.layers_steps, key="layers-steps", title="Tokens")
st.markdown("The sequence-output LSTM's answer after each token of your sequence (trained with the first symbol as the "
            "target at every step):")
show.chart(rch.step_answers, o.steps, key="step-answers")
show.chart(rch.step_accuracy, o.per_position, key="per-position")
of = o.facts
fades = "but" if of.rnn_fades else "and"
chrome.notice(f"the single-output LSTM gives one answer, **{of.single_answer}** (P = {of.single_probability:.2f}), "
              f"after all {of.output_tokens} tokens; its output is 4 numbers. The sequence-output one answers after "
              f"every token: {of.output_tokens} × 4 numbers, its loss averaged over the steps. Per step, the "
              f"sequence-output RNN is right {of.rnn_at_first:.0%} of the time at step 1 {fades} {of.rnn_at_tenth:.0%} "
              f"at step 10 and {of.rnn_at_last:.0%} at step {of.steps_trained_length}; the GRU {of.gru_at_last:.0%} "
              f"and the LSTM {of.lstm_at_last:.0%} (their lines coincide when both are right).", of)

# 5. Gradients through time -----------------------------------------------------------------------------------------
chrome.section("5 · Why the plain RNN forgets: gradients through time", "69")
stages = st.segmented_control("Networks", rc.STAGES, selection_mode="multi", default=list(rc.STAGES), key="stages",
                              bind="query-params")
flow = runners.run(rc.gradient_flow, runners.config(rc.Flow, source=source), label="Backpropagating through time")
show.chart(rch.gradient_lines, flow.norms, tuple(stages or rc.STAGES), data=flow.norms, key="gradients")
show.table(flow.shown, key="gradient-table")
ff = flow.facts
vanish = ("it vanishes, so the RNN cannot learn what step 1 should have stored" if ff.rnn_vanishes else
          "it shrinks, but has not vanished at this length")
extra = (f"; the measured {ff.lstm_ratio_fresh:.2f} is higher: paths through the gates and hidden state, and the "
         "different sensitivity of the loss to the first and last input, enter it too" if ff.gates_add else "")
trained = (f"Trained, the RNN still gets only {ff.rnn_ratio_trained:.1e} of it back to step 1."
           if ff.rnn_trained_vanishes else f"Trained, the RNN gets {ff.rnn_ratio_trained:.1e} of it back to step 1.")
chrome.notice(f"backpropagation through time multiplies one factor per step. In the fresh RNN the gradient reaching "
              f"the symbol at step 1 is {ff.rnn_ratio_fresh:.1e} of the one at step {ff.flow_length}, a factor of "
              f"{ff.rnn_step_factor:.2f} per step on average: {vanish}. In the fresh LSTM the ratio is "
              f"{ff.lstm_ratio_fresh:.2f} ({ff.lstm_step_factor:.3f} per step). Along its cell state (c = f·c + i·g) "
              f"the gradient is multiplied by the forget gate at each step, here {ff.forget_mean_fresh:.2f} on average "
              f"(keep-gate bias {ff.keep_bias:+g}), not by a weight matrix and a tanh's slope: over "
              f"{ff.flow_steps_back} steps that path alone keeps {ff.forget_product_fresh:.2f} of it{extra}. {trained}",
              ff)
chrome.end()
