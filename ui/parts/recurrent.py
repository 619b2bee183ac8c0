"""The RNN / LSTM page's sections (pages/11_Zoo_RNN_and_LSTM.py): the race, lengths, gates, outputs, gradients,
stacked and bidirectional LSTMs.

Every number a sentence states comes from core facts (`RaceFacts`, `LengthFacts`, `GateFacts`,
`OutputFacts`, `FlowFacts`, `LstmFacts`); these functions only choose the words and place the charts.
"""
from __future__ import annotations

import inspect

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import charts
from core.charts import recurrent as recurrent_charts
from core.zoo import recurrent, recurrent_lab, recurrent_lstms, sequences
from core.zoo.source import Source
from ui import chrome, runners, show, zoo


def task() -> None:
    example = sequences.example(20, seed=3)
    st.markdown(f"Each sequence starts with a **symbol** ({', '.join(sequences.SYMBOLS)}), then only "
                f"**distractors** ({', '.join(sequences.DISTRACTORS)}). After the last token the network must "
                f"name the first one, e.g. `{example}` → **{example[0]}**. Guessing gives 25%.")


def recipe() -> recurrent.Recipe | None:
    """'Train them yourself' and the race's settings: the student's recipe, or None for the shipped networks."""
    if not st.toggle("Train them yourself (all three side by side)", key="rnn-own", bind="query-params"):
        return None
    length_box, keep_box, hidden_box, epochs_box = st.columns(4)
    length = length_box.select_slider("Sequence length (tokens, up to 100)", (5, 10, 20, 30, 45, 60, 80, 100),
                                      60, key="length", bind="query-params")
    keep = keep_box.select_slider("Keep-gate bias at the start (LSTM forget, GRU update)", (0.0, 1.0, 3.0), 3.0,
                                  key="keep", bind="query-params", help="Added to the gate's bias before "
                                  "training: +3 makes a fresh gate keep ~95% of the old state each step.")
    hidden = hidden_box.select_slider("Hidden units", (16, 32, 64), 32, key="hidden", bind="query-params")
    epochs = epochs_box.slider("Epochs (4,000 sequences each, at most 8)", 1, 8, 5, key="rnn-epochs",
                               bind="query-params")
    return runners.config(recurrent.Recipe, length=length, keep_bias=keep, hidden=hidden, epochs=epochs)


def which_race(race: recurrent.Trained, slot: DeltaGenerator) -> None:
    """Under the button: whose networks the page shows; a student's race with its curves, what the trainer said of
    them (a blown-up loss) and what they reached."""
    if race.shipped:
        slot.caption(f"Showing the shipped networks (`python -m core.zoo`): {race.recipe.epochs} epochs at length "
                     f"{race.recipe.length}, {race.recipe.hidden} hidden units, keep-gate bias "
                     f"{race.recipe.keep_bias:+g}.")
        return
    with slot.container():
        show.chart(charts.curves, race.history, "accuracy", key="own-curves")
        zoo.trainer_said(race.messages, race.kept_epoch, race.recipe.epochs)
    facts = race.facts
    if facts.own_untrained:
        names = ", ".join(facts.own_untrained)
        one = len(facts.own_untrained) == 1
        chrome.notice(f"the {names} kept the weights of epoch 0: {'its' if one else 'their'} loss blew up in the first "
                      f"epoch, so the accuracies below and the views of {'it' if one else 'them'} in sections 2 to 5 "
                      "come from untrained networks, not from training.", facts)
        return
    chrome.notice(f"after {facts.own_epochs} epoch{'s' * (facts.own_epochs > 1)} at length {facts.own_length} "
                  f"({facts.own_seconds:.0f} s) the RNN answers {facts.own_rnn:.0%}, the GRU {facts.own_gru:.0%} "
                  f"and the LSTM {facts.own_lstm:.0%} of the validation sequences. Sections 3 and 4 now use "
                  "these networks, and section 2 adds them to the shipped sweep.", facts)


def lengths(shipped: recurrent.Trained, own: recurrent.Trained | None, source: Source) -> None:
    cfg = recurrent_lab.Lengths(own=None if own is None else source)
    result = runners.run(recurrent_lab.lengths, cfg, label="Reading the length sweep", inputs=(shipped, own))
    show.chart(recurrent_charts.length_curves, result.table, key="lengths")
    f = result.facts
    rnn = (f"then falls to {f.far_rnn:.0%} at length {f.longest_length}, where {f.chance:.0%} is guessing"
           if f.rnn_falls else f"and still answers {f.far_rnn:.0%} at length {f.longest_length}")
    gated = (f"The LSTM still answers {f.far_lstm:.0%} and the GRU {f.far_gru:.0%}: their gates let the memory pass "
             "through the distractors." if f.gated_hold else
             f"The LSTM answers {f.far_lstm:.0%} and the GRU {f.far_gru:.0%} at length {f.longest_length}.")
    chrome.notice(f"with the same data, schedule and seed, the plain RNN recalls the symbol (≥ 90% right) at every "
                  f"length measured up to {f.reach_rnn}, {rnn}. {gated}", f)


def typed_sequence(trained_length: int) -> str:
    """The sequence box and its "new sequence" button (a fresh one of the length the networks were trained on)."""
    st.session_state.setdefault("draws", 0)

    def draw() -> None:
        st.session_state.draws += 1
        st.session_state.sequence = sequences.example(trained_length, seed=1000 + st.session_state.draws)

    text_box, button_box = st.columns([3, 1], vertical_alignment="bottom")
    text = text_box.text_input(f"Your sequence: one symbol A-D, then distractors w-z ({sequences.MIN_LENGTH} to "
                               f"{sequences.MAX_LENGTH} tokens; the networks were trained on {trained_length})",
                               recurrent_lab.EXAMPLE, key="sequence", bind="query-params")
    button_box.button(f"New sequence ({trained_length} tokens)", on_click=draw, icon=":material/casino:")
    return text


def gates_config(text: str, source: Source) -> recurrent_lab.Gates:
    """The gates' config of the typed sequence; one that breaks the rules gets a sentence and the example instead."""
    return zoo.or_example(lambda: recurrent_lab.Gates(sequence=text, source=source),
                          lambda: recurrent_lab.Gates(source=source), "the example sequence")


def gates(race: recurrent.Trained, cfg: recurrent_lab.Gates) -> None:
    result = runners.run(recurrent_lab.gates, cfg, label="Running the LSTM step by step", inputs=(race,))
    show.table(result.answers, key="answers")
    for row in range(2):
        for column, quantity in zip(st.columns(2), recurrent.GATES[2 * row : 2 * row + 2]):
            with column:
                show.chart(recurrent_charts.gate_heat, result.gates, quantity, data=result.gates,
                           key=f"gate-{quantity.split()[0]}")
    st.markdown("**Unit 1**, the unit whose last cell state depends most on the first symbol, step by step:")
    show.chart(recurrent_charts.unit_lines, result.memory, key="unit-1")
    with show.folded("The LSTM's equations, as this page computes them from `nn.LSTM`'s weights",
                     key="lstm-equations") as more:
        if more.open:
            st.code(inspect.getsource(recurrent.lstm_steps))
    f = result.facts
    ends = ", ".join(f"{symbol}: {c:+.1f}" for symbol, c in zip(f.end_symbols, f.cell_ends))
    other = (f" It was trained only on sequences of {f.trained_length} tokens and yours has {f.typed_length}: it "
             f"learned to read its memory after token {f.trained_length}, so on other lengths it can be wrong."
             if f.length_differs else "")
    keeps = (f"never drops below {f.forget_floor:.2f} after the symbol, so each step keeps at least that share of "
             f"what the cell holds (over all the steps, its forget gates multiply to {f.forget_product:.2f})"
             if f.keeps_most else
             f"drops to {f.forget_floor:.2f} after the symbol: there its cell loses most of what it held")
    chrome.notice(f"the LSTM answers **{f.lstm_answer}** (P = {f.lstm_probability:.2f}), which is "
                  f"{'right' if f.lstm_right else 'wrong'}.{other} Unit 1's forget gate {keeps}; its cell state "
                  f"goes from {f.cell_first:+.2f} after the symbol to {f.cell_last:+.1f} at the end, written to "
                  f"along the way. With each first symbol and the same distractors it would end at {ends}: the "
                  "sign and size of c record the symbol; the head reads h = o·tanh(c), which saturates beyond "
                  "about ±3, so telling apart two large cell values of the same sign takes other units as well. "
                  "Gates lie in (0, 1); the cell state is a running sum (c = f·c + i·g), not squashed.", f)


def outputs(race: recurrent.Trained, steps_race: recurrent.Trained, cfg: recurrent_lab.Outputs) -> None:
    result = runners.run(recurrent_lab.outputs, cfg, label="Running both kinds of output", inputs=(race, steps_race))
    left, right = st.columns(2)
    with left:
        st.markdown("**Single output** (a sentiment): the head reads only the last hidden state")
        show.layers(result.layers_single, key="layers-single", title="Tokens")
    with right:
        st.markdown("**Sequence output** (the next word): the head reads every hidden state")
        show.layers(result.layers_steps, key="layers-steps", title="Tokens")
    st.markdown("The sequence-output LSTM's answer after each token of your sequence (trained with the first symbol "
                "as the target at every step):")
    show.chart(recurrent_charts.step_answers, result.steps, key="step-answers")
    show.chart(recurrent_charts.step_accuracy, result.per_position, key="per-position")
    f = result.facts
    fades = "but" if f.rnn_fades else "and"
    chrome.notice(f"the single-output LSTM gives one answer, **{f.single_answer}** (P = {f.single_probability:.2f}), "
                  f"after all {f.output_tokens} tokens; its output is 4 numbers. The sequence-output one answers "
                  f"after every token: {f.output_tokens} × 4 numbers, its loss averaged over the steps. Per step, the "
                  f"sequence-output RNN is right {f.rnn_at_first:.0%} of the time at step 1 {fades} "
                  f"{f.rnn_at_tenth:.0%} at step 10 and {f.rnn_at_last:.0%} at step {f.steps_trained_length}; the "
                  f"GRU {f.gru_at_last:.0%} and the LSTM {f.lstm_at_last:.0%} (their lines coincide when both are "
                  "right).", f)


def gradient_flow(race: recurrent.Trained, source: Source) -> None:
    stages = st.segmented_control("Networks", recurrent_lab.STAGES, selection_mode="multi",
                                  default=list(recurrent_lab.STAGES), key="stages", bind="query-params")
    flow = runners.run(recurrent_lab.gradient_flow, runners.config(recurrent_lab.GradientFlow, source=source),
                       label="Backpropagating through time", inputs=(race,))
    show.chart(recurrent_charts.gradient_lines, flow.norms, tuple(stages or recurrent_lab.STAGES), data=flow.norms,
               key="gradients")
    show.table(flow.shown, key="gradient-table")
    f = flow.facts
    vanish = ("it vanishes, so the RNN cannot learn what step 1 should have stored" if f.rnn_vanishes else
              "it shrinks, but has not vanished at this length")
    extra = (f"; the measured {f.lstm_ratio_fresh:.2f} is higher: paths through the gates and hidden state, and the "
             "different sensitivity of the loss to the first and last input, enter it too" if f.gates_add else "")
    trained = (f"Trained, the RNN still gets only {f.rnn_ratio_trained:.1e} of it back to step 1."
               if f.rnn_trained_vanishes else
               f"Trained, the RNN gets {f.rnn_ratio_trained:.1e} of it back to step 1.")
    chrome.notice(f"backpropagation through time multiplies one factor per step. In the fresh RNN the gradient "
                  f"reaching the symbol at step 1 is {f.rnn_ratio_fresh:.1e} of the one at step {f.flow_length}, a "
                  f"factor of {f.rnn_step_factor:.2f} per step on average: {vanish}. In the fresh LSTM the ratio is "
                  f"{f.lstm_ratio_fresh:.2f} ({f.lstm_step_factor:.3f} per step). Along its cell state "
                  f"(c = f·c + i·g) the gradient is multiplied by the forget gate at each step, here "
                  f"{f.forget_mean_fresh:.2f} on average (keep-gate bias {f.keep_bias:+g}), not by a weight matrix "
                  f"and a tanh's slope: over {f.flow_steps_back} steps that path alone keeps "
                  f"{f.forget_product_fresh:.2f} of it{extra}. {trained}", f)


def lstm_variants() -> None:
    lstms = zoo.trained(Source("recurrent", asset=recurrent.LSTM_RACE), label="Reading the shipped LSTMs")
    result = runners.run(recurrent_lstms.lstm_variants, recurrent_lstms.LstmVariants(),
                         label="Comparing the three LSTMs", inputs=(lstms,))
    show.chart(recurrent_charts.length_curves, result.table, key="lstm-lengths")
    show.table(result.summary, key="lstm-table")
    f = result.facts
    n, at = f.n_seeds, f"at length {f.longest_length}"
    both = (f"recalls at every length and with all {n} seeds ({f.far_bidirectional:.0%} {at} from epoch "
            f"{f.epoch_bidirectional})" if f.bidirectional_everywhere
            else f"answers {f.far_bidirectional:.0%} {at} and reaches 90% there with {f.seeds_bidirectional} of "
            f"the {n} seeds")
    adds = ("That is what a second direction adds when the answer lies early in the sequence; but it needs the whole "
            "sequence before it answers, so it cannot predict the next word." if f.direction_adds
            else "Here the second direction adds no recall over the one-layer LSTM.")
    stacked = (f"recalls up to length {f.reach_stacked} but answers {f.far_stacked:.0%} {at} and reaches 90% there "
               f"with {f.seeds_stacked} of the {n} seeds" if f.stacked_behind else
               f"answers {f.far_stacked:.0%} {at} and reaches 90% there with {f.seeds_stacked} of the {n} seeds")
    chrome.notice(
        f"same task, data, schedule ({f.epochs} epochs of {f.n_train:,} sequences) and seed for the three; "
        f"{f.hidden} units per layer and direction, so their parameters differ. The one-layer LSTM answers "
        f"{f.far_lstm:.0%} {at} with this seed, and reaches 90% there with {f.seeds_lstm} of {n} seeds. The "
        f"bidirectional LSTM {both}: its backward pass reads the sequence from the last token to the first, so it "
        "meets the symbol at its last step, with no distractor after it. Its head reads both passes' final states: "
        f"from the backward half alone it recalls with {f.seeds_backward_only} of the {n} seeds, from the forward "
        f"half alone with {f.seeds_forward_only} (this seed: {f.backward_only:.0%} and {f.forward_only:.0%}). "
        f"{adds} The 2-layer LSTM {stacked}: a second layer adds {f.params_second_layer:,} parameters and "
        "depth at each step, not a shorter path through time: its first layer must still carry the symbol across "
        "every distractor.", f)
