"""Network zoo: GAN (slide 71): a generator against a discriminator on 2-D data."""
import streamlit as st

from core.zoo import gan
from core.zoo.source import Source
from ui import chrome, zoo
from ui.parts import gan as parts

chrome.page("gan", """A **generative adversarial network** is two networks
playing a game. The **generator** G turns random noise z into a data point; the **discriminator** D
looks at a point and says how likely it is real. D learns to tell real points from generated ones, G
learns to fool D: a **min-max game**. At the game's ideal end point (given networks large enough),
G's points are distributed like the real data and D says 0.5 everywhere; section 3 shows a game that
stalls elsewhere. Here the data are points in the plane, so you can watch the whole game: D's belief
as a map, G's points moving over it.""")

# 1. The game, checkpoint by checkpoint ------------------------------------------------------------
chrome.section("1 · The game, checkpoint by checkpoint", "71")
data_column, step_column = st.columns([1, 2])
data = data_column.selectbox("Real data", list(gan.DISTRIBUTIONS),
                             format_func=gan.DISTRIBUTIONS.get, key="data", bind="query-params")
source = Source("gan", asset=gan.asset(data))
shipped = zoo.trained(source, label="Reading the shipped GAN")
with step_column:
    step = parts.step_picker(shipped.game, "step")
parts.game_notice(parts.game_view(shipped.game, step, "shipped"))

# 2. The two players -------------------------------------------------------------------------------
chrome.section("2 · The two players", "71")
parts.players(shipped, source)

# 3. Mode collapse ---------------------------------------------------------------------------------
chrome.section("3 · Mode collapse: when G finds one answer that fools D", "71")
balanced = zoo.trained(Source("gan", asset="gan_ring"), label="Reading the shipped GAN")
collapsed = zoo.trained(Source("gan", asset="gan_ring_collapse"), label="Reading the shipped GAN")
parts.collapse(balanced, collapsed)

# 4. Train it yourself -----------------------------------------------------------------------------
chrome.section("4 · Train it yourself, live", "71")
recipe, train = parts.own_recipe()
if not train:
    st.caption("Switch on **Train it yourself** to train this GAN; the map and the losses redraw "
               "while it trains.")
    chrome.end()  # the page ends here: its URL note still comes
    st.stop()
redraw, clear = parts.live(recipe)
own = zoo.trained(Source("gan", recipe), label=f"Training the GAN for {recipe.steps:,} steps",
                  live=redraw)
clear()
if own.game.message:
    st.warning(own.game.message)
own_step = parts.step_picker(own.game, "own-step")
parts.game_view(own.game, own_step, "own")
parts.own_notice(own.game.facts())
chrome.end()
