"""Play: a model the student steps (a network of the learning-cycle page, the GAN page's game) trained and redrawn
frame after frame, until any click pauses it.

A page calls `keep_playing` after `chrome.end()`, so the whole page is drawn first and nothing of it reruns per
frame. Each frame advances the model and redraws its picture (one HTML block); its curves (a Vega chart embedded
anew) at most every `curves_s`. Any click or setting change reruns the page, which stops this loop at its next
redraw (Streamlit raises its rerun exception there); whether it plays lives in session state under `playing`, so a
new learning rate goes on playing from the same weights. A fragment could not be paused: a click inside a running
fragment waits until it ends (streamlit/streamlit#11030).
"""
from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st


def toggle(playing: str) -> None:
    """The Play/Pause button's callback."""
    st.session_state[playing] = not st.session_state.get(playing, False)


def keep_playing(playing: str, done: Callable[[], bool], advance: Callable[[], None], draw: Callable[[], None],
                 curves: Callable[[], None], frame_s: float, curves_s: float) -> None:
    """While session state `playing` is on: `advance()` then `draw()` at most once every `frame_s`, `curves()` at
    most every `curves_s`, until `done()`; then play is off and the page runs once more (its buttons, paused)."""
    if not st.session_state.get(playing) or done():
        return
    drawn = -float("inf")
    while not done():
        began = time.monotonic()
        advance()
        draw()
        if began - drawn >= curves_s:
            curves()
            drawn = began
        time.sleep(max(0.0, frame_s - (time.monotonic() - began)))
    st.session_state[playing] = False
    st.rerun()
