"""The Transformer page's sections (pages/12_Zoo_Transformer.py): the board, attention (and one query worked
through), positions, masks, generation (greedy and sampled), the encoder-decoder and a student's own model.

Every number a sentence states comes from core facts (`BoardFacts`, `CopyFacts`, `WorkedFacts`, `PositionFacts`,
`GenerationFacts`, `SampleFacts`, `TranslateFacts`, `CompareFacts`); these functions only choose the words and
place the charts.
"""
from __future__ import annotations

import inspect

import streamlit as st

from core import charts
from core.charts import transformer as transformer_charts
from core.zoo import transformer, transformer_lab, transformer_seq2seq, transformer_steps
from core.zoo.source import Source
from ui import chrome, runners, show, zoo

LABELS = {key: design.label for key, design in transformer.DESIGNS.items()}
MASKS = """**Full mask (encoder-only, like BERT):** every position reads every position, so each output can
depend on the whole input: good for understanding a sequence you already have (classify it, tag each token, answer
a question about it). The original Transformer, built for translation, paired an encoder with a decoder;
decoder-only models such as GPT can translate too, by continuing a prompt.

**Causal mask (decoder-only, like GPT):** position *i* reads positions 0 to *i* only; the scores of the grey cells are
set to −∞ before the softmax, so their weights are exactly 0. What comes later cannot leak into an earlier
position, which is what lets a decoder learn to predict the next token at every position at once."""


def word_and_model() -> tuple[str, str]:
    """Section 2's controls: the word to reverse and the design that reads it."""
    word_box, design_box = st.columns([1, 2])
    word = word_box.text_input(f"Your word ({transformer.MIN_LEN} to {transformer.MAX_LEN} letters A-Z)",
                               transformer_lab.Read.word, key="word", bind="query-params")
    design = design_box.radio("Model", list(LABELS), format_func=LABELS.get, key="design", horizontal=True,
                              bind="query-params")
    return word, design


def prompt_word() -> str:
    """Section 5's explanation and prompt box."""
    st.markdown("The decoder reads `·····WORD=` and writes one token at a time: the most likely one (greedy), which "
                "is then appended to its input for the next step, until it writes the end token `·`.")
    return st.text_input(f"Prompt word ({transformer.MIN_LEN} to {transformer.MAX_LEN} letters A-Z)", "GREEDY",
                         key="prompt", bind="query-params")


def model(design: str) -> transformer.Trained:
    """The shipped model of `design`, from the shared cache."""
    return zoo.trained(Source("transformer", asset=transformer.asset(design)), label="Reading the shipped models")


def board() -> transformer_lab.BoardResult:
    """The four shipped designs side by side."""
    shipped = [zoo.trained(source, label="Reading the shipped models") for source in transformer_lab.SHIPPED_SOURCES]
    return runners.run(transformer_lab.board, transformer_lab.Board(), label="Reading the shipped models",
                       inputs=tuple(shipped))


def reading(word: str, trained: transformer.Trained, source: Source, key: str) -> transformer_lab.ReadResult:
    """The word through the model; a word that breaks the rules gets a sentence and the default word instead."""
    cfg = zoo.or_example(lambda: transformer_lab.Read(word=word, source=source),
                         lambda: transformer_lab.Read(source=source), transformer_lab.Read.word)
    return runners.run(transformer_lab.read, cfg, label=f"Reading the word ({key})", inputs=(trained,))


def task(result: transformer_lab.BoardResult) -> None:
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Training pairs** (`·` pads the sequence and ends an answer)")
        show.table(result.examples, key="tx-examples")
    with right:
        st.markdown("**The encoder, from a real forward pass** (10 tokens in, a score for each of the "
                    f"{len(transformer.VOCAB)} tokens out, at every position)")
        show.layers(result.layers, key="tx-layers", title="Tokens")
    with show.folded("Self-attention in PyTorch (core/zoo/transformer.py)", key="attention-code") as more:
        if more.open:
            st.code(inspect.getsource(transformer.SelfAttention))
    show.table(result.scores, key="tx-scores")
    f = result.facts
    chrome.notice(f"measured on {f.n_val:,} held-out words it never trained on, the encoder writes "
                  f"{f.encoder_letters:.1%} of the letters right and {f.encoder_words:.1%} of the words entirely; "
                  f"the decoder {f.decoder_letters:.2%}. Change the mask or drop the positions and the same network "
                  f"falls to {f.causal_letters:.1%} and {f.nopos_letters:.1%}: sections 4 and 3 show why. All four "
                  f"trained in {f.board_seconds:.0f} s on a CPU.", f)


def attention(result: transformer_lab.ReadResult) -> None:
    """What a shipped model wrote for the word, and its attention maps."""
    st.markdown(f"The model wrote **{result.wrote or '(nothing)'}**; the reversed word is **{result.expected}**: "
                f"{result.letters_right} of {len(result.word)} letters right.")
    show.chart(transformer_charts.attention_maps, result.attention, key="tx-attention")


def own_attention(result: transformer_lab.ReadResult) -> None:
    """What the student's model wrote for the word of section 2, and its attention maps."""
    st.markdown(f"Your model on **{result.word}** (the word of section 2) wrote **{result.wrote or '(nothing)'}**; "
                f"reversed it is **{result.expected}**.")
    show.chart(transformer_charts.attention_maps, result.attention, key="own-attention")


def copy_notice(f: transformer_lab.CopyFacts) -> None:
    copying = ("That is copying by attention: the query of the position that writes asks for the key of the "
               "position that holds the letter." if f.copies else
               "That is no real look-up: this model does not copy the letter by attention.")
    chrome.notice(f"each row of a map is one softmax: it sums to 1 over the positions that row may read. Layer "
                  f"{f.copy_layer}, head {f.copy_head} puts on average **{f.copy_weight:.0%}** of each answer "
                  f"position's attention on the very letter it has to write (a uniform spread over the positions "
                  f"each of those rows may read would give {f.uniform_weight:.0%}). {copying}", f)


def positions(board_facts: transformer_lab.BoardFacts) -> None:
    count, width_box = st.columns(2)
    n_positions = count.select_slider("Positions shown", (10, 16, 32, 48, 64), 32, key="pe-positions",
                                      bind="query-params")
    width = width_box.select_slider("Model width (dimensions; the models here use 32)", (8, 16, 32, 64), 32,
                                    key="pe-width", bind="query-params")
    result = runners.run(transformer_lab.positions,
                         runners.config(transformer_lab.Positions, length=n_positions, d_model=width),
                         label="Encoding positions")
    left, right = st.columns(2)
    with left:
        show.chart(transformer_charts.encoding, result.encoding, key="tx-pe")
    with right:
        show.chart(transformer_charts.similarity, result.similarity, key="tx-pe-similarity")
    f, b = result.facts, board_facts
    chrome.notice(f"each pair of columns is a sine and a cosine: the first turns once every {f.first_period:.1f} "
                  f"positions, the last once every {f.last_period:,.0f}, so every position gets its own pattern. "
                  f"Position 0 looks {f.similarity_next:.2f} alike to position 1 and {f.similarity_far:.2f} to "
                  f"position {f.far_position}. Attention alone compares contents and ignores order: without this "
                  f"encoding the same encoder writes only {b.nopos_letters:.1%} of the letters right (with it "
                  f"{b.encoder_letters:.1%}).", f, b)


def masks(result: transformer_lab.BoardResult) -> None:
    left, right = st.columns([3, 2])  # the two masks side by side need ~410 px: half a laptop's column is 325
    with left:
        show.chart(transformer_charts.masks, result.masks, key="tx-masks")
    right.markdown(MASKS)
    show.chart(transformer_charts.by_position, result.by_position, key="tx-by-position")
    f = result.facts
    chrome.notice(f"the causal mask is GPT's (decoder-only) triangle; BERT (encoder-only) uses the full mask. On the "
                  f"encoder's task the causal mask lets answer letter 1 (position 0) read only itself, yet it must "
                  f"write the word's last letter: it gets that right {f.causal_first_letter:.1%} of the time, "
                  f"against {f.encoder_first_letter:.1%} with the full mask; answer letter {f.answer_positions}, "
                  f"which in a {f.answer_positions}-letter word writes the word's first letter, a letter it may "
                  f"read, {f.causal_last_letter:.1%}. The decoder has the same causal mask and scores "
                  f"{f.decoder_letters:.2%}: it reads the whole word first, then writes.", f)


def generation(result: transformer_lab.ReadResult) -> None:
    left, right = st.columns([4, 3])  # the steps table is 353 px wide in presenter mode: a half column (339 px) cut it
    with left:
        show.table(result.steps, key="tx-steps")
    with right:
        show.chart(transformer_charts.next_token, result.probabilities, key="tx-next-token")
    f = result.generation_facts
    chrome.notice(f"the decoder wrote **{f.generated}** in {f.generation_steps} steps ({f.generated_right} of "
                  f"{f.word_letters} letters right). Its least sure step chose with {f.least_sure:.1%}. Greedy "
                  "decoding never goes back: one wrong token would stay in the input of every later step. A chatbot "
                  "does exactly this with a bigger vocabulary, often sampling instead of always taking the top "
                  "token.", f)


def worked(word: str, design: str, trained: transformer.Trained, copy: transformer_lab.CopyFacts) -> None:
    """Section 2's worked query: one head and one answer position of the shown model, every number written out."""
    st.markdown("**One query worked through.** Pick a head and the position that writes one letter of the answer: "
                "its query *q* meets every key *k*, the scores *q·k / √d* go through a softmax, and the weights mix "
                "the values *v*. These are the model's own weights, and the sum equals this head's output as the model "
                "computes it, before the attention's output projection (`out`) mixes the heads.")
    spec = trained.model.spec
    heads = [(0, 0)] + [(layer, head) for layer in range(1, spec.layers + 1) for head in range(1, spec.heads + 1)]
    head_box, letter_box = st.columns(2)
    choice = head_box.selectbox(
        "Head", range(len(heads)), key="tx-worked-head", bind="query-params",
        format_func=lambda i: (f"the one that copies best (layer {copy.copy_layer}, head {copy.copy_head})"
                               if i == 0 else f"layer {heads[i][0]}, head {heads[i][1]}"))
    layer, head = heads[choice]
    letter = letter_box.slider("Query: the position that writes answer letter", 1, transformer.MAX_LEN, 1,
                               key="tx-worked-letter", bind="query-params")
    source = Source("transformer", asset=transformer.asset(design))
    cfg = zoo.or_example(lambda: transformer_steps.Worked(word, source, layer, head, letter),
                         lambda: transformer_steps.Worked(source=source), transformer_steps.Worked.word)
    result = runners.run(transformer_steps.worked, cfg, label="Working the query through", inputs=(trained,))
    f = result.facts
    st.markdown(f"Layer {f.layer}, head {f.head}: query position **{f.query} `{f.query_token}`**, "
                f"q = `{_numbers(result.query_vector)}` ({f.d_k} dimensions), output Σ weight × v = "
                f"`{_numbers(result.output)}`.")
    show.table(result.keys, key="tx-worked-keys")
    show.chart(transformer_charts.vectors, result.vectors, key="tx-worked-vectors")
    worked_notice(f)


def _numbers(values) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def worked_notice(f: transformer_steps.WorkedFacts) -> None:
    where = (f"answer letter {f.letter} lies past what the model read, so the last position is shown. "
             if f.clamped else "")
    masked = (f"The causal mask lets it read keys 0 to {f.query} only: the other {f.positions - f.readable} scores "
              "become −∞ before the softmax, so their weights are exactly 0. " if f.readable < f.positions else
              f"The full mask lets it read all {f.positions} keys. ")
    target = ("it writes padding, so no letter is its target" if f.target_key is None else
              f"the letter it must write sits at key {f.target_key}, which gets {f.target_weight:.1%}")
    mix = ("more than half, so the output is mostly that key's value" if f.majority else
           "under half, so the output is a blend of several keys' values, not one key's")
    chrome.notice(f"{where}the highest score q·k / √{f.d_k} is key {f.top_key} `{f.top_key_token}` "
                  f"({f.top_score:.2f}); the softmax turns it into {f.top_weight:.1%} of the weight (the next key "
                  f"gets {f.runner_up_weight:.1%}): {mix}. {masked}Here "
                  f"{target}.", f)


def sampling(word: str, trained: transformer.Trained) -> None:
    """Section 5's sampling: temperature, top-k, seed and the step whose distribution is drawn."""
    st.markdown("**Sampling instead of greedy.** Divide the scores (logits) by a temperature *T* before the "
                "softmax (*T* < 1 sharpens, *T* > 1 flattens, *T* = 0 is greedy), keep only the *k* most likely "
                "tokens, and draw the next token at random from what is left.")
    t_box, k_box, seed_box, step_box = st.columns(4)
    temperature = t_box.select_slider("Temperature T", (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0),
                                      transformer_steps.Sample.temperature, key="tx-temperature",
                                      bind="query-params")
    top_k = k_box.slider("Top-k (tokens kept)", 1, len(transformer.VOCAB), transformer_steps.Sample.top_k,
                         key="tx-top-k", bind="query-params")
    seed = seed_box.number_input("Seed of the draws", 0, 999, 0, key="tx-sample-seed", bind="query-params")
    step = step_box.slider("Step shown", 1, transformer.MAX_LEN, 1, key="tx-sample-step", bind="query-params")
    decoder = Source("transformer", asset=transformer.asset("decoder"))
    cfg = zoo.or_example(lambda: transformer_steps.Sample(word, temperature, top_k, int(seed), step, decoder),
                         lambda: transformer_steps.Sample(source=decoder), transformer_steps.Sample.word)
    result = runners.run(transformer_steps.sample, cfg, label="Sampling", inputs=(trained,))
    show.table(result.steps, key="tx-sample-steps")
    # Full width: beside the table, in 3/7 of a laptop's column, its 2 x 28 bars left the token labels ~5 px
    # high and cut its legend (Chromium, 1024x768).
    show.chart(transformer_charts.drawn, result.distribution, key="tx-sample-distribution")
    sampling_notice(result.facts, cfg)


def sampling_notice(f: transformer_steps.SampleFacts, cfg: transformer_steps.Sample) -> None:
    drew = (f"At step {f.first_off} it drew `{f.off_token}` (probability {f.off_after:.1%}) where greedy takes "
            f"`{f.off_top}`, and every later step reads that token." if f.first_off else
            "Every step drew the most likely token, as greedy would.")
    kept = ("T = 0 is greedy, whatever top-k keeps: only the most likely token keeps a chance, so "
            if cfg.temperature == 0 else f"with T = {cfg.temperature:g} and top-{cfg.top_k}, {f.kept} "
            f"{'token keeps' if f.kept == 1 else 'tokens keep'} a chance and ")
    chrome.notice(f"at step {f.step} the model gives `{f.top_token}` {f.top_before:.1%}; {kept}`{f.top_token}` "
                  f"gets {f.top_after:.1%} (the bars sum to {f.total_after:.0%}). Sampling wrote "
                  f"**{f.sampled or '(nothing)'}** "
                  f"({f.letters_right} of {len(f.expected)} letters right); greedy writes **{f.greedy}**. {drew} "
                  "The same seed draws the same text.", f)


def encoder_decoder() -> None:
    """Section 6: the shipped encoder-decoder on a typed word, its answer and its cross-attention."""
    trained = runners.resource(transformer_seq2seq.shipped, transformer_seq2seq.ASSET,
                               label="Reading the shipped encoder-decoder")
    st.markdown(f"The original Transformer's shape: an **encoder** reads the word (full mask), a **decoder** writes "
                f"the answer one token at a time (causal mask) and reads the word through **cross-attention**: its "
                f"queries, the encoder's keys and values. Here one layer of each, {trained.parameters:,} weights, "
                "shipped with the app.")
    text = st.text_input(f"Word for the encoder-decoder ({transformer.MIN_LEN} to {transformer.MAX_LEN} letters "
                         "A-Z)", transformer_seq2seq.Translate.word, key="tx-seq2seq-word", bind="query-params")
    cfg = zoo.or_example(lambda: transformer_seq2seq.Translate(text), transformer_seq2seq.Translate,
                         transformer_seq2seq.Translate.word)
    result = runners.run(transformer_seq2seq.translate, cfg, label="Reading the word", inputs=(trained,))
    f = result.facts
    st.markdown(f"It wrote **{f.wrote or '(nothing)'}**; the reversed word is **{f.expected}**.")
    show.chart(transformer_charts.cross_attention, result.cross, key="tx-cross-attention")
    chrome.notice(f"to write answer letter *i* (counted from 1, as in section 2) of an *n*-letter word the decoder "
                  f"must read input position *n* − *i* (counted from 0, as section 2's keys): for this word the "
                  f"cross-attention peaks there for {f.anti_diagonal:.0%} of the "
                  f"letters, the anti-diagonal of the word. On {f.n_scored} held-out words it writes "
                  f"{f.held_out_words:.1%} exactly right, and its attention peaks on the letter to copy "
                  f"{f.held_out_anti_diagonal:.1%} of the time.", f)


def own() -> tuple[transformer.Trained, Source] | None:
    """The 'which network' box: 'Train it yourself', its recipe and button; once trained, its curves and scores.

    Returns the student's model and its Source once trained, else None (every view shows the shipped models).
    """
    if not st.toggle("Train it yourself (one of the four designs, with your settings)", key="tx-own",
                     bind="query-params"):
        shipped = model("encoder").recipe
        st.caption(f"Showing the four shipped models (`python -m core.zoo`): {shipped.layers} layers, "
                   f"{shipped.heads} heads, {shipped.epochs} epochs on {shipped.n_train:,} words, seed "
                   f"{shipped.seed}.")
        return None
    recipe = own_recipe()
    mine, source, slot = zoo.which(
        recipe, Source("transformer", asset=transformer.asset(recipe.design)), what="models",
        switches="section 2 shows only",
        label=f"Training {LABELS[recipe.design]} on {recipe.n_train:,} words",
        curves=lambda part: charts.curves(part.history.assign(variant="yours"), "accuracy"))
    if mine.shipped:
        return None
    compare = transformer_lab.Compare(source)
    result = runners.run(transformer_lab.compare, compare, label="Scoring your model on the held-out words",
                         inputs=(mine, zoo.trained(compare.shipped, label="Reading the shipped models")))
    with slot.container():
        show.chart(charts.curves, result.history, "accuracy", key="own-curves")
        st.caption("The trainer's accuracy counts every output token, the padding `·` included; the table below "
                   "counts the answer's letters only.")
    if mine.message:
        st.warning(mine.message)
    left, right = st.columns([2, 3])
    with left:
        show.table(result.scores, key="own-scores")
    with right:
        show.chart(transformer_charts.by_position, result.by_position, key="own-by-position")
    own_notice(result.facts)
    return mine, source


def own_recipe() -> transformer.Recipe:
    design_box, layers_box, heads_box, epochs_box, seed_box = st.columns([2, 1, 1, 1, 1])
    design = design_box.selectbox("Design", list(LABELS), format_func=LABELS.get, key="own-design",
                                  bind="query-params")
    layers = layers_box.select_slider("Layers", (1, 2, 3), 2, key="own-layers", bind="query-params")
    heads = heads_box.select_slider("Heads per layer", (1, 2, 4), 2, key="own-heads", bind="query-params")
    epochs = epochs_box.slider(f"Epochs (at most {transformer.MAX_EPOCHS})", 1, transformer.MAX_EPOCHS, 10,
                               key="own-epochs", bind="query-params")
    seed = zoo.seed(seed_box, "tx-seed")
    return runners.config(transformer.Recipe, design=design, layers=layers, heads=heads, epochs=epochs,
                          seed=int(seed))


def own_notice(f: transformer_lab.CompareFacts) -> None:
    advice = ("With 1 layer" if f.one_layer else "Try 1 layer:") + (
        " the encoder must find where the word ends and copy from there at once, while the decoder's left-padded "
        "prompt puts `=` at position 10 for every word, so its letter to copy is always in the same place.")
    chrome.notice(f"in {f.own_seconds:.1f} s your {f.own_layers}-layer, {f.own_heads}-head model reached "
                  f"{f.own_letters:.1%} letter accuracy on the held-out words ({f.own_weights:,} weights); the "
                  f"shipped {f.own_design} has {f.shipped_letters:.1%} ({f.shipped_weights:,} weights). {advice}", f)
