"""Zoo: Transformer (slide 70): tiny Transformers that reverse a word, their attention, positions, masks and generation."""
import inspect

import streamlit as st

from core import charts
from core.charts import transformer as tc
from core.zoo import overview
from core.zoo import transformer as tx
from core.zoo import transformer_lab as lab
from ui import chrome, runners, show

card = next(a for a in overview.ARCHITECTURES if a.page == "pages/12_Zoo_Transformer.py")
chrome.page("Zoo: Transformer", "70", f"""**Purpose:** {card.purpose}  
**Architecture:** {card.architecture}  
**Output:** {card.output}

Here four tiny Transformers ({tx.n_params(tx.build(tx.Recipe())):,} weights each) learned one task you can read:
**reverse a word** of {tx.MIN_LEN} to {tx.MAX_LEN} letters. Same layers, same training; they differ only in their
attention mask, their positional encoding, and whether they answer in one pass or write the answer token by token.""")
LABELS = {k: d.label for k, d in tx.DESIGNS.items()}
b = runners.run(lab.board, lab.Board(), label="Reading the shipped models")
bf = b.facts


def reading(word: str, source: lab.Source, key: str) -> lab.Reading:
    """The word through the model; a word that breaks the rules gets a sentence and the default word instead."""
    try:
        cfg = lab.Read(word=word, source=source)
    except ValueError as error:
        st.error(f"{error} Showing {lab.Read.word} instead.")
        cfg = lab.Read(source=source)
    return runners.run(lab.read, cfg, label=f"Reading the word ({key})")


# 1. The task and the model -----------------------------------------------------------------------------------------
chrome.section("1 · The task and the model", "70")
left, right = st.columns([2, 3])
with left:
    st.markdown("**Training pairs** (`·` pads the sequence and ends an answer)")
    show.table(b.examples, key="tx-examples")
with right:
    st.markdown("**The encoder, from a real forward pass** (10 tokens in, a score for each of the "
                f"{len(tx.VOCAB)} tokens out, at every position)")
    show.layers(b.layers, key="tx-layers", title="Tokens")
with st.expander("Self-attention in PyTorch (core/zoo/transformer.py)"):
    st.code(inspect.getsource(tx.SelfAttention))
show.table(b.scores, key="tx-scores")
chrome.notice(f"measured on {bf.n_val:,} held-out words it never trained on, the encoder writes "
              f"{bf.encoder_letters:.1%} of the letters right and {bf.encoder_words:.1%} of the words entirely; the "
              f"decoder {bf.decoder_letters:.2%}. Change the mask or drop the positions and the same network falls to "
              f"{bf.causal_letters:.1%} and {bf.nopos_letters:.1%}: sections 4 and 3 show why. All four trained in "
              f"{bf.board_seconds:.0f} s on a CPU.", bf)

# 2. Attention for your word ----------------------------------------------------------------------------------------
chrome.section("2 · Attention maps for a word you type", "70")
c1, c2 = st.columns([1, 2])
word = c1.text_input(f"Your word ({tx.MIN_LEN} to {tx.MAX_LEN} letters A-Z)", lab.Read.word, key="word",
                     bind="query-params")
design = c2.radio("Model", list(LABELS), format_func=LABELS.get, key="design", horizontal=True, bind="query-params")
r = reading(word, lab.Source(design), "your word")
st.markdown(f"The model wrote **{r.wrote or '(nothing)'}**; the reversed word is **{r.expected}**: "
            f"{r.letters_right} of {len(r.word)} letters right.")
show.chart(tc.attention_maps, r.attention, key="tx-attention")
cf = r.copy_facts
copying = ("That is copying by attention: the query of the position that writes asks for the key of the position "
           "that holds the letter." if cf.copies else
           "That is no real look-up: this model does not copy the letter by attention.")
chrome.notice(f"each row of a map is one softmax: it sums to 1 over the positions that row may read. Layer "
              f"{cf.copy_layer}, head {cf.copy_head} puts on average **{cf.copy_weight:.0%}** of each answer "
              f"position's attention on the very letter it has to write (a uniform spread over the positions each of "
              f"those rows may read would give {cf.uniform_weight:.0%}). {copying}", cf)

# 3. Positional encoding --------------------------------------------------------------------------------------------
chrome.section("3 · Positional encoding: order, added to the tokens", "70")
c1, c2 = st.columns(2)
n_pos = c1.select_slider("Positions shown", (10, 16, 32, 48, 64), 32, key="pe-positions", bind="query-params")
width = c2.select_slider("Model width (dimensions; the models here use 32)", (8, 16, 32, 64), 32, key="pe-width",
                         bind="query-params")
pe = runners.run(lab.positions, runners.config(lab.Positions, length=n_pos, d_model=width), label="Encoding positions")
left, right = st.columns(2)
with left:
    show.chart(tc.encoding, pe.encoding, key="tx-pe")
with right:
    show.chart(tc.similarity, pe.similarity, key="tx-pe-similarity")
pf = pe.facts
chrome.notice(f"each pair of columns is a sine and a cosine: the first turns once every {pf.first_period:.1f} "
              f"positions, the last once every {pf.last_period:,.0f}, so every position gets its own pattern. Position "
              f"0 looks {pf.similarity_next:.2f} alike to position 1 and {pf.similarity_far:.2f} to position "
              f"{pf.far_position}. Attention alone compares contents and ignores order: without this encoding the same "
              f"encoder writes only {bf.nopos_letters:.1%} of the letters right (with it {bf.encoder_letters:.1%}).",
              pf, bf)

# 4. Encoder-only vs decoder-only: the mask ---------------------------------------------------------------------------
chrome.section("4 · Encoder-only vs decoder-only: the attention mask", "70")
left, right = st.columns(2)
with left:
    show.chart(tc.masks, b.masks, key="tx-masks")
right.markdown("""**Full mask (encoder-only, like BERT):** every position reads every position, so each output can
depend on the whole input: good for understanding a sequence you already have (classify it, tag each token, answer
a question about it). The original Transformer, built for translation, paired an encoder with a decoder;
decoder-only models such as GPT can translate too, by continuing a prompt.

**Causal mask (decoder-only, like GPT):** position *i* reads positions 0 to *i* only; the scores of the grey cells are
set to −∞ before the softmax, so their weights are exactly 0. What comes later cannot leak into an earlier
position, which is what lets a decoder learn to predict the next token at every position at once.""")
show.chart(tc.by_position, b.by_position, key="tx-by-position")
chrome.notice(f"the causal mask is GPT's (decoder-only) triangle; BERT (encoder-only) uses the full mask. On the "
              f"encoder's task the causal mask lets answer letter 1 (position 0) read only itself, yet it must write "
              f"the word's last letter: it gets that right {bf.causal_first_letter:.1%} of the time, against "
              f"{bf.encoder_first_letter:.1%} with the full mask; answer letter {bf.answer_positions}, which in a "
              f"{bf.answer_positions}-letter word writes the word's first letter, a letter it may read, "
              f"{bf.causal_last_letter:.1%}. The decoder has the same "
              f"causal mask and scores {bf.decoder_letters:.2%}: it reads the whole word first, then writes.", bf)

# 5. Greedy generation ----------------------------------------------------------------------------------------------
chrome.section("5 · Decoder-only: greedy generation from a prompt", "70")
st.markdown("The decoder reads `·····WORD=` and writes one token at a time: the most likely one (greedy), which is then "
            "appended to its input for the next step, until it writes the end token `·`.")
prompt_word = st.text_input(f"Prompt word ({tx.MIN_LEN} to {tx.MAX_LEN} letters A-Z)", "GREEDY", key="prompt",
                            bind="query-params")
g = reading(prompt_word, lab.Source("decoder"), "generation")
left, right = st.columns(2)
with left:
    show.table(g.steps, key="tx-steps")
with right:
    show.chart(tc.next_token, g.probabilities, key="tx-next-token")
gf = g.generation_facts
chrome.notice(f"the decoder wrote **{gf.generated}** in {gf.generation_steps} steps ({gf.generated_right} of "
              f"{gf.word_letters} letters right). Its least sure step chose with {gf.least_sure:.1%}. Greedy decoding "
              "never goes back: one wrong token would stay in the input of every later step. A chatbot does exactly "
              "this with a bigger vocabulary, often sampling instead of always taking the top token.", gf)

# 6. Train it yourself ----------------------------------------------------------------------------------------------
chrome.section("6 · Train it yourself", "70")
if not st.toggle(f"Train a model yourself (about 1 s per epoch on 2 cores; at most {tx.MAX_EPOCHS} epochs)", key="tx-own",
                 bind="query-params"):
    st.caption("Switch it on to train one of the four designs with your own settings, through the app's one trainer.")
    st.stop()
c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 1])
own_design = c1.selectbox("Design", list(LABELS), format_func=LABELS.get, key="own-design", bind="query-params")
layers = c2.select_slider("Layers", (1, 2, 3), 2, key="own-layers", bind="query-params")
heads = c3.select_slider("Heads per layer", (1, 2, 4), 2, key="own-heads", bind="query-params")
epochs = c4.slider(f"Epochs (at most {tx.MAX_EPOCHS})", 1, tx.MAX_EPOCHS, 10, key="own-epochs", bind="query-params")
seed = c5.number_input("Seed", 0, 2**31 - 1, 0, key="tx-seed", bind="query-params")
recipe = runners.config(tx.Recipe, design=own_design, layers=layers, heads=heads, epochs=epochs, seed=int(seed))
slot = st.empty()
mine = runners.run(lab.train, recipe, label=f"Training {LABELS[own_design]} on {recipe.n_train:,} words",
                   live=lambda snap: show.redraw(slot, charts.curves(snap.history, "accuracy")))
with slot.container():
    show.chart(charts.curves, mine.history, "accuracy", key="own-curves")
    st.caption("The trainer's accuracy counts every output token, the padding `·` included; the table below counts "
               "the answer's letters only.")
if mine.message:
    st.warning(mine.message)
left, right = st.columns([2, 3])
with left:
    show.table(mine.scores, key="own-scores")
with right:
    show.chart(tc.by_position, mine.by_position, key="own-by-position")
o = reading(r.word, lab.Source(own_design, own=recipe), "your model")
st.markdown(f"Your model on **{o.word}** (the word of section 2) wrote **{o.wrote or '(nothing)'}**; reversed it is "
            f"**{o.expected}**.")
show.chart(tc.attention_maps, o.attention, key="own-attention")
tf = mine.facts
advice = ("With 1 layer" if tf.one_layer else "Try 1 layer:") + (
    " the encoder must find where the word ends and copy from there at once, while the decoder's left-padded prompt "
    "puts `=` at position 10 for every word, so its letter to copy is always in the same place.")
chrome.notice(f"in {tf.own_seconds:.1f} s your {tf.own_layers}-layer, {tf.own_heads}-head model reached "
              f"{tf.own_letters:.1%} letter accuracy on the held-out words ({tf.own_weights:,} weights); the shipped "
              f"{tf.own_design} has {tf.shipped_letters:.1%} ({tf.shipped_weights:,} weights). {advice}", tf)
chrome.end()
