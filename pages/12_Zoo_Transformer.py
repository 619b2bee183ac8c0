"""Zoo: Transformer (slide 70): tiny Transformers that reverse a word, and how they attend."""
import streamlit as st

from core.zoo import transformer
from core.zoo.source import Source
from ui import chrome, zoo
from ui.parts import transformer as parts

chrome.page("transformer", f"""
Here four tiny Transformers ({transformer.shipped_parameters():,} weights each) learned one task you
can read: **reverse a word** of {transformer.MIN_LEN} to {transformer.MAX_LEN} letters. Same layers,
same training; they differ only in their attention mask, their positional encoding, and whether they
answer in one pass or write the answer token by token. They open with weights shipped with the app;
train one yourself just below and section 2 shows it beside them once it is trained.""",
            lead=zoo.card("transformer"))

# 0. Which network ---------------------------------------------------------------------------------
with st.container(border=True):
    own = parts.own()
board = parts.board()

# 1. The task and the model ------------------------------------------------------------------------
if chrome.section("1 · The task, and the four models' scores on held-out words", "70"):
    parts.task(board)

# 2. Attention for your word -----------------------------------------------------------------------
if chrome.section("2 · Attention maps for a word you type", "70"):
    word, design = parts.word_and_model()
    source = Source("transformer", asset=transformer.asset(design))
    yours = parts.reading(word, parts.model(design), source, "your word")
    parts.attention(yours)
    parts.copy_notice(yours.copy_facts)
    parts.worked(yours.word, design, parts.model(design), yours.copy_facts)
    if own is not None:
        parts.own_attention(parts.reading(yours.word, *own, "your model"))

# 3. Positional encoding ---------------------------------------------------------------------------
if chrome.section("3 · Positional encoding: order, added to the tokens", "70"):
    parts.positions(board.facts)

# 4. Encoder-only vs decoder-only: the mask --------------------------------------------------------
if chrome.section("4 · Encoder-only vs decoder-only: the attention mask", "70"):
    parts.masks(board)

# 5. Greedy generation -----------------------------------------------------------------------------
if chrome.section("5 · Decoder-only: greedy generation from a prompt", "70"):
    prompt_word = parts.prompt_word()
    decoder = Source("transformer", asset=transformer.asset("decoder"))
    decoder_model = parts.model("decoder")
    generated = parts.reading(prompt_word, decoder_model, decoder, "generation")
    parts.generation(generated)
    parts.sampling(generated.word, decoder_model)

# 6. Encoder-decoder: cross-attention ---------------------------------------------------------
if chrome.section("6 · Encoder-decoder: cross-attention reads the input", "70"):
    parts.encoder_decoder()
chrome.end()
