"""Zoo: generative adversarial network (slide 71): a generator against a discriminator on 2-D
data."""
import streamlit as st

from core.zoo.source import Source
from ui import chrome, zoo
from ui.parts import gan as parts, gan_steps as steps

chrome.page("gan", """
A **generative adversarial network** is two networks playing a game. The **generator** G turns
random noise z into a data point; the **discriminator** D looks at a point and says how likely it is
real. D learns to tell real points from generated ones, G learns to fool D: a **min-max game**. At
the game's ideal end point (given networks large enough), G's points are distributed like the real
data and D says 0.5 everywhere; section 3 shows a game that stalls elsewhere. Here the data are
points in the plane, so you can watch the whole game: D's belief as a map, G's points moving over
it. It opens with games shipped with the app; train your own just below and sections 1 and 2 switch
to it once it is trained.""",
            lead=zoo.card("gan"))

# 0. Which game ------------------------------------------------------------------------------------
with st.container(border=True):
    recipe, shipped = parts.recipe()
    game_of, source, slot = zoo.which(recipe, shipped, label="Training the GAN", what="game",
                                      switches="sections 1 and 2 show",
                                      live=parts.live(recipe))
    parts.which_game(game_of, slot)

# 1. The game, checkpoint by checkpoint ------------------------------------------------------------
if chrome.section("1 · The game, checkpoint by checkpoint: D's map, G's points and both losses",
                  "71"):
    key = "shipped" if game_of.shipped else "own"
    step = parts.step_picker(game_of.game, "step" if game_of.shipped else "own-step")
    facts = parts.game_view(game_of.game, step, key)
    if game_of.shipped:
        parts.game_notice(facts)
    else:
        parts.own_notice(game_of.game.facts())

# 2. The two players -------------------------------------------------------------------------------
if chrome.section("2 · The two players", "71"):
    parts.players(game_of, source)

# 3. Mode collapse ---------------------------------------------------------------------------------
if chrome.section("3 · Mode collapse: when G finds one answer that fools D", "71"):
    balanced = zoo.trained(Source("gan", asset="gan_ring"), label="Reading the shipped GAN")
    collapsed = zoo.trained(Source("gan", asset="gan_ring_collapse"),
                            label="Reading the shipped GAN")
    parts.collapse(balanced, collapsed)

# 4. Step by step ----------------------------------------------------------------------------------
if steps_open := chrome.section("4 · Step by step: move D, move G, watch the arrows and the warped "
                                "noise grid", "71"):
    duel, d_lr, g_lr, speed = steps.controls()
    game = steps.stepper(duel)
    steps.buttons(game, d_lr, g_lr)
    picture, losses = st.columns([5, 6])
    frame, curve_slot = picture.empty(), losses.empty()
    view = steps.draw(frame, game)
    steps.curves(curve_slot, game, live=False)
    steps.notice(view.facts)
chrome.end()
if steps_open:  # after the page: while it plays, the frames redraw and nothing else reruns
    steps.keep_playing(duel, d_lr, g_lr, speed, frame, curve_slot)
