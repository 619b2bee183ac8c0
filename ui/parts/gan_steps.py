"""The GAN page's step-by-step game (core/zoo/gan_steps.py): its controls, its frames, its slow-motion play.

As the learning-cycle page's network to play with (ui/parts/playground.py): the game and whether it plays live
in session state; the buttons act in callbacks; play runs after the page (`keep_playing`, the page's last call)
and redraws one HTML block per frame and the losses at most every CURVES_S; any click or setting change reruns
the page, which stops the loop at its next redraw.
"""
from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.charts import gan as gan_charts
from core.zoo import gan, gan_steps
from core.zoo.gan_steps import Duel, Stepper
from ui import chrome, play, show, zoo

GAME, PLAYING = "gan-steps-game", "gan-steps-on"  # session state: the game and whether it plays
FRAME_S = 0.25  # slow motion: at most 4 frames a second
CURVES_S = 1.0  # the losses (a Vega chart embedded anew) at most this often while playing
SPEEDS = (1, 5, 20)  # updates of each player per frame
AXIS = "updates of either player"
LOSSES_TITLE = "Both losses after each update (on held-out real points and G's shown points)"


def controls() -> tuple[Duel, float, float, int]:
    """The game (what changing starts a new one), each player's learning rate, and updates per frame of play."""
    chrome.intro("GAN Lab's view of the game (Kahng et al. 2018, poloclub.github.io/ganlab): move one player at a "
                 "time and watch the other's world change. The arrows on G's points show where G's loss pushes "
                 "each point; the grey grid is a regular grid of the noise plane as G maps it into the data plane.")
    data_column, loss_column, seed_column = st.columns(3)
    data = data_column.selectbox("Real data", list(gan.DISTRIBUTIONS), format_func=gan.DISTRIBUTIONS.get,
                                 key="steps-data", bind="query-params")
    g_loss = loss_column.radio("G's loss", list(gan.G_LOSSES), format_func=gan.G_LOSSES.get, key="steps-loss",
                               bind="query-params")
    seed = zoo.seed(seed_column, "steps-seed")
    d_column, g_column, speed_column = st.columns(3)
    d_lr = d_column.select_slider("D's learning rate (Adam)", gan_steps.LRS, value=1e-3, key="steps-d-lr",
                                  bind="query-params", format_func=lambda v: f"{v:g}")
    g_lr = g_column.select_slider("G's learning rate (Adam)", gan_steps.LRS, value=1e-3, key="steps-g-lr",
                                  bind="query-params", format_func=lambda v: f"{v:g}")
    speed = speed_column.select_slider("Updates of each player per frame of play", SPEEDS, value=1,
                                       key="steps-speed", bind="query-params",
                                       help=f"At most {1 / FRAME_S:.0f} frames a second: 1 is slow motion.")
    return Duel(data=data, g_loss=g_loss, seed=seed), d_lr, g_lr, speed


def stepper(duel: Duel) -> Stepper:
    """This session's game for `duel`: the one it has, or a new one (which pauses play) when `duel` changed."""
    current = st.session_state.get(GAME)
    if current is None or current.duel != duel:
        current = st.session_state[GAME] = Stepper(duel)
        st.session_state[PLAYING] = False
    return current


def _step(which: str, d_lr: float, g_lr: float) -> None:
    st.session_state[PLAYING] = False
    now: Stepper = st.session_state[GAME]
    {"D": lambda: now.step_d(d_lr), "G": lambda: now.step_g(g_lr), "both": lambda: now.step_both(d_lr, g_lr)}[which]()


def _reset() -> None:
    st.session_state.pop(GAME, None)
    st.session_state[PLAYING] = False


def buttons(now: Stepper, d_lr: float, g_lr: float) -> None:
    """Step D, Step G, Step both, Play (slow motion) / Pause, Reset."""
    playing = st.session_state.get(PLAYING, False)
    d_button, g_button, both, toggle, reset = st.columns(5)
    d_button.button("Step D", icon=":material/skip_next:", on_click=_step, args=("D", d_lr, g_lr),
                    disabled=now.done, key="steps-d", width="stretch", help="One update of D alone; G holds still.")
    g_button.button("Step G", icon=":material/skip_next:", on_click=_step, args=("G", d_lr, g_lr),
                    disabled=now.done, key="steps-g", width="stretch", help="One update of G alone; D holds still.")
    both.button("Step both", icon=":material/fast_forward:", on_click=_step, args=("both", d_lr, g_lr),
                disabled=now.done, key="steps-both", width="stretch", help="One update of D, then one of G.")
    # "Play", its slow motion in the icon and the tooltip: "Play (slow motion)" wrapped at 1024 px and pushed
    # Reset onto a row of its own.
    toggle.button("Pause" if playing else "Play",
                  icon=":material/pause:" if playing else ":material/slow_motion_video:", type="primary",
                  on_click=play.toggle, args=(PLAYING,), disabled=now.done and not playing, key="steps-toggle",
                  width="stretch", help=f"Slow motion: D then G updated and redrawn, at most {1 / FRAME_S:.0f} "
                  "frames a second, until you press Pause.")
    reset.button("Reset", icon=":material/restart_alt:", on_click=_reset, key="steps-reset", width="stretch",
                 help="A new game: the same settings, both players back to their first weights.")
    if now.diverged:
        st.error("A loss blew up: lower the learning rates and press Reset.")
    elif now.done:
        st.info(f"Play stops after {gan_steps.MAX_STEPS:,} updates of a player. Reset to start again.")


LAST = {"": "none yet", "D": "D alone", "G": "G alone", "both": "D, then G"}


def frame_html(view: gan_steps.StepView) -> str:
    """One frame: the status line, the picture and its legend."""
    f = view.facts
    picture = gan_charts.plane_svg(view.p, gan.GRID, gan.BOX, view.real, view.fake,
                                   "D's map, the real points, G's points, its arrows and its warped noise grid",
                                   view.tails, view.arrows * f.arrow_scale, view.warped)
    status = (f"D: <b>{f.d_steps:,}</b> updates · G: <b>{f.g_steps:,}</b> updates · last update: {LAST[f.last]} · "
              f"loss D <b>{f.d_loss:.3f}</b>, G <b>{f.g_loss:.3f}</b> · D calls {f.real_right:.0%} of the real "
              f"points real and {f.fake_right:.0%} of G's points fake")
    real, fake = gan_charts.KINDS["real"], gan_charts.KINDS["generated"]
    legend = (f'<span style="color:{real}">●</span> real points · <span style="color:{fake}">●</span> G\'s points · '
              f"arrows: −∂ℓ/∂x, where G's loss pushes a point (ℓ: its own term of the loss), drawn "
              f"{f.arrow_scale:g} × the gradient · grey grid: "
              f"G's image of a regular {gan_steps.NOISE_LINES} × {gan_steps.NOISE_LINES} grid of the noise plane "
              f"(z from −{gan_steps.Z_SPAN:g} to {gan_steps.Z_SPAN:g}) · background: D's P(real), light blue real, "
              "white 0.5, light orange fake")
    return (f'<div class="gan-steps-frame" data-updates="{f.d_steps + f.g_steps}">'
            f'<div style="font-size:15px;margin-bottom:8px">{status}</div>'
            f'<div style="max-width:520px">{picture}</div>'
            f'<div style="font-size:13px;margin-top:6px">{legend}</div></div>')


def draw(slot: DeltaGenerator, now: Stepper) -> gan_steps.StepView:
    view = now.view()
    slot.html(frame_html(view))
    return view


def curves(slot: DeltaGenerator, now: Stepper, live: bool) -> None:
    references = gan.references(now.duel.g_loss)
    if live:
        show.redraw(slot, gan_charts.game_losses(now.curves(), None, references, LOSSES_TITLE, AXIS))
    else:
        with slot.container():
            show.chart(gan_charts.game_losses, now.curves(), None, references, LOSSES_TITLE, AXIS,
                       key="steps-losses")


def keep_playing(duel: Duel, d_lr: float, g_lr: float, speed: int, frame: DeltaGenerator,
                 curve_slot: DeltaGenerator) -> None:
    """Play: `speed` updates of D then G a frame, at most one frame every FRAME_S, until paused (any rerun), blown up
    or done; then the page once more, paused."""
    now = stepper(duel)
    play.keep_playing(PLAYING, lambda: now.done, lambda: now.step_both(d_lr, g_lr, speed), lambda: draw(frame, now),
                      lambda: curves(curve_slot, now, live=True), FRAME_S, CURVES_S)


def notice(f: gan_steps.StepFacts) -> None:
    if f.diverged:
        return
    side = "just under ½" if f.p_high < 0.5 else "just over ½" if f.p_low > 0.5 else "around ½"
    blind = (f" (but its P(real) is between {f.p_low:.2f} and {f.p_high:.2f} everywhere: random weights, {side}, so "
             "these calls are barely calls)" if f.near_blind else "")
    score = (f"D calls {f.real_right:.0%} of the real points real and {f.fake_right:.0%} of G's points fake{blind}; "
             f"the losses are D {f.d_loss:.2f} and G {f.g_loss:.2f} (once D cannot tell, D {f.blind_d:.2f} and G "
             f"{f.blind_g:.2f}: the dashed lines).")
    if not f.last:
        chrome.notice(f"nothing has trained yet. {score} Press **Step G**: only G's weights change, and its points "
                      "move with them; the notice then measures how closely they follow the arrows. Press **Step D**: "
                      "only D's map changes, and with it the arrows.", f)
        return
    if f.last == "D":
        fell = "fell" if f.d_loss < f.d_loss_before else "rose"
        chrome.notice(f"the last update moved D alone: G's points stayed where they were (they moved "
                      f"{f.moved:.3f}), while D's map changed by up to {f.map_change:.3f} in P(real) and its loss "
                      f"on the points shown {fell} from {f.d_loss_before:.3f} to {f.d_loss:.3f}. The arrows changed "
                      f"with it: G's loss is measured through D. {score}", f)
        return
    cosine = f.cosine if f.cosine is not None else 0.0
    along = ("along the arrows drawn before it" if cosine > 0.5 else
             "roughly along the arrows drawn before it" if cosine > 0 else "not along the arrows drawn before it")
    # A point x = G(z; θ) moves by about J·Δθ (J = ∂x/∂θ): one weight step mixes every point's push. Adam scales each
    # weight's step by its own gradient history; with bias correction its first step is lr·g/(|g| + ε) ≈ lr·sign(g)
    # (Kingma & Ba 2015, "Adam", algorithm 1 and section 2.1).
    why = ("" if cosine > 0.5 else " G changes its weights, not its points: each point moves by J·Δθ (J: how it "
           "depends on G's weights), and Δθ mixes every point's push from a fresh batch of noise, not these points. "
           "Adam also rescales each weight's step (its first step is about lr·sign(g)), so the points need not "
           "follow their own arrows.")
    d_part = (f"D moved first (its map changed by up to {f.map_change:.3f} in P(real)), then G: "
              if f.last == "both" else "the last update moved G alone, so D's map did not change "
              f"({f.map_change:.3f}): ")
    chrome.notice(f"{d_part}G's points moved {f.moved:.3f} on average, {along} (cosine {cosine:.2f} between all "
                  f"their moves and all the arrows; 1: exactly along them).{why} {score}", f)
