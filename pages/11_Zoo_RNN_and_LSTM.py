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
        mine = race.accuracy.set_index("cell")["validation accuracy"]
        chrome.notice(f"after {epochs} epoch{'s' * (epochs > 1)} at length {length} ({race.seconds:.0f} s) the RNN "
                      f"answers {mine['RNN']:.0%}, the GRU {mine['GRU']:.0%} and the LSTM {mine['LSTM']:.0%} of the "
                      "validation sequences. Every view below now shows these networks.")

# 2. Accuracy vs length ---------------------------------------------------------------------------------------------
chrome.section("2 · Accuracy vs sequence length, the three cells trained side by side", "69")
lengths = rc.length_table(race.accuracy if race else None)
show.chart(rch.length_curves, lengths, key="lengths")
reach, (longest, far) = rc.reach(lengths), rc.farthest(lengths)
chrome.notice(f"with the same data, schedule and seed, the plain RNN recalls the symbol up to length {reach['RNN']} "
              f"(≥ 90%), then falls to {far['RNN']:.0%} at length {longest}, where 25% is guessing. The LSTM still "
              f"answers {far['LSTM']:.0%} and the GRU {far['GRU']:.0%}: their gates let the memory pass through the "
              "distractors.")

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
ends = ", ".join(f"{s}: {c:+.1f}" for s, c in g.ends.items())
lstm = g.answers.set_index("cell").loc["LSTM"]
other = "" if len(g.tokens) == g.trained_length else (
    f" It was trained only on sequences of {g.trained_length} tokens and yours has {len(g.tokens)}: it learned to "
    f"read its memory after token {g.trained_length}, so on other lengths it can be wrong.")
chrome.notice(f"the LSTM answers **{lstm['answer']}** (P = {lstm['P(answer)']:.2f}), which is "
              f"{'right' if lstm['right'] else 'wrong'}.{other} Unit 1's forget gate never drops below "
              f"{g.keep['forget min']:.2f} after the symbol, so its cell keeps most of itself at every step; the cell "
              f"state goes from {g.keep['cell first']:+.2f} to {g.keep['cell last']:+.1f}. With each other first "
              f"symbol and the same distractors it would end at {ends}: the further apart, the easier the head tells "
              "the symbols apart. Gates lie in (0, 1); the cell state is a running sum (c = f·c + i·g), not squashed.")

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
first, tenth, last = o.accuracy_at(1), o.accuracy_at(10), o.accuracy_at(o.trained_length)
chrome.notice(f"the single-output LSTM gives one answer, **{o.single['answer']}** (P = {o.single['probability']:.2f}), "
              f"after all {len(o.tokens)} tokens; its output is 4 numbers. The sequence-output one answers after every "
              f"token: {len(o.tokens)} × 4 numbers, its loss averaged over the steps. Per step, the sequence-output RNN "
              f"is right {first['RNN']:.0%} of the time at step 1 but {tenth['RNN']:.0%} at step 10 and "
              f"{last['RNN']:.0%} at step {o.trained_length}; the GRU {last['GRU']:.0%} and the LSTM "
              f"{last['LSTM']:.0%} (their lines coincide when both are right).")

# 5. Gradients through time -----------------------------------------------------------------------------------------
chrome.section("5 · Why the plain RNN forgets: gradients through time", "69")
stages = st.segmented_control("Networks", rc.STAGES, selection_mode="multi", default=list(rc.STAGES), key="stages",
                              bind="query-params")
flow = runners.run(rc.gradient_flow, runners.config(rc.Flow, source=source), label="Backpropagating through time")
show.chart(rch.gradient_lines, flow.norms, tuple(stages or rc.STAGES), data=flow.norms, key="gradients")
show.table(flow.shown, key="gradient-table")
ratio = flow.table.set_index(["cell", "stage"])["step 1 / last step"]
chrome.notice(f"backpropagation through time multiplies one factor per step. In the fresh RNN the gradient reaching "
              f"the symbol at step 1 is {ratio['RNN', 'at initialization']:.1e} of the one at step {flow.length}: it "
              f"vanishes, so the RNN cannot learn what step 1 should have stored. In the fresh LSTM the ratio is "
              f"{ratio['LSTM', 'at initialization']:.2f}: along its cell state the gradient is multiplied by the forget "
              f"gate (here {flow.fresh_forget:.2f} on average) at each step, not by a weight matrix and a tanh's slope. "
              f"Trained, the RNN still gets only {ratio['RNN', 'trained']:.1e} of it back to step 1.")
chrome.end()
