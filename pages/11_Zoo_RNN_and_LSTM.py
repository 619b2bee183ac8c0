"""Zoo: RNN and LSTM (slide 69): memory over long sequences, gates, outputs, gradient flow,
stacked and bidirectional LSTMs."""
import streamlit as st

from core import charts
from core.zoo import recurrent, recurrent_lab
from core.zoo.source import Source
from ui import chrome, zoo
from ui.parts import recurrent as parts

chrome.page("recurrent", """
Below, a plain RNN, a GRU and an LSTM (32 hidden units each, PyTorch's `nn.RNN`, `nn.GRU`,
`nn.LSTM`) take the same memory test. They open with weights shipped with the app; train your own
just below: once they are trained, section 2 adds them to the shipped sweep and sections 3 and 4 use
them (section 4's per-step networks stay the shipped ones). Section 6 sets a 2-layer and a
bidirectional LSTM beside the LSTM.""",
            lead=zoo.card("recurrent"))
shipped = zoo.trained(Source("recurrent"), label="Reading the shipped networks")

# 0. Which networks --------------------------------------------------------------------------------
with st.container(border=True):
    race, source, slot = zoo.which(
        parts.recipe(), Source("recurrent"), what="networks", switches="sections 3 and 4 use",
        label="Training the RNN, the GRU and the LSTM side by side",
        curves=lambda part: charts.curves(part.history, "accuracy"))
    parts.which_race(race, slot)

# 1. The task --------------------------------------------------------------------------------------
if chrome.section("1 · A memory test: recall the first symbol after many distractors", "69"):
    parts.task()

# 2. Accuracy vs length ----------------------------------------------------------------------------
if chrome.section("2 · Accuracy on validation sequences vs their length, three cells side by side",
                  "69"):
    parts.lengths(shipped, None if race.shipped else race, source)

# 3. Inside the LSTM -------------------------------------------------------------------------------
if gates_open := chrome.section("3 · Inside the LSTM: its gates at every step of one sequence",
                                "69"):
    gates = parts.gates_config(parts.typed_sequence(race.recipe.length), source)
    parts.gates(race, gates)

# 4. Sequence output vs single output --------------------------------------------------------------
if chrome.section("4 · One answer at the end, or one answer per step",
                  "69") and chrome.needs(gates_open, "3"):
    steps_race = zoo.trained(Source("recurrent", asset=recurrent.STEPS),
                             label="Reading the shipped networks")
    outputs = recurrent_lab.Outputs(sequence=gates.sequence, source=source)
    parts.outputs(race, steps_race, outputs)

# 5. Gradients through time ------------------------------------------------------------------------
if chrome.section("5 · Why the plain RNN forgets: gradients through time", "69"):
    parts.gradient_flow(race, source)

# 6. Stacked and bidirectional LSTMs ---------------------------------------------------------------
if chrome.section("6 · Stacked and bidirectional LSTMs: what each adds", "69"):
    parts.lstm_variants()
chrome.end()
