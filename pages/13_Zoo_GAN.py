"""Network zoo: GAN (slide 71): a generator against a discriminator on 2-D data, checkpoint by checkpoint and live."""
import inspect

import streamlit as st

from core import charts
from core.charts import gan as gan_charts
from core.zoo import gan, gan_parts, shapes
from ui import chrome, runners, show

chrome.page("Network zoo: GAN", "71", """A **generative adversarial network** is two networks playing a game. The
**generator** G turns random noise z into a data point; the **discriminator** D looks at a point and says how likely
it is real. D learns to tell real points from generated ones, G learns to fool D: a **min-max game**. When neither can
improve, G's points look like the real data. Here the data are points in the plane, so you can watch the whole game:
D's belief as a map, G's points moving over it.""")
BOX = gan_parts.BOX


def step_picker(game: gan.Game, key: str) -> int:
    """A slider over the game's checkpoints (the last one first)."""
    return st.select_slider(f"Training step (checkpoint, at most {game.steps[-1]:,})", game.steps, value=game.steps[-1], key=key,
                            bind="query-params", format_func=lambda s: f"{s:,}")


def game_view(game: gan.Game, step: int, key: str) -> None:
    """D's map with G's points at `step`, both losses, and the scores of that checkpoint."""
    left, right = st.columns([5, 6])
    with left:
        show.chart(gan_charts.game_map, *game.picture(step), game.real, BOX, f"after {step:,} steps", data=game.samples,
                   key=f"{key}-map")
    with right:
        show.chart(gan_charts.game_losses, game.curves, step, gan.references(game.recipe.g_loss), key=f"{key}-losses")
    now, start = game.at(step), game.at(0)
    c1, c2, c3, c4 = st.columns(4)
    total = gan_parts.n_modes(game.recipe.data)
    c1.metric("Modes covered", "–" if total is None else f"{int(now['modes covered'])} of {total}",
              help=f"A Gaussian counts when it gets at least {gan_parts.COVERED_SHARE:.0%} of its fair share of "
                   f"{gan.MEASURED:,} generated points within 3 standard deviations of its centre.")
    c2.metric("Energy distance to the real data", f"{now['energy distance']:.3f}",
              f"{now['energy distance'] - start['energy distance']:+.3f} since step 0", delta_color="inverse",
              help="2·E|X−Y| − E|X−X'| − E|Y−Y'| between generated X and real Y: 0 when they match.")
    c3.metric("D(real) on average", f"{now['D(real)']:.2f}", help="D's P(real) for the real points; 0.5: cannot tell.")
    c4.metric("D(generated) on average", f"{now['D(fake)']:.2f}", help="D's P(real) for G's points.")


# 1. The game, checkpoint by checkpoint ------------------------------------------------------------------------------
chrome.section("1 · The game, checkpoint by checkpoint", "71")
c1, c2 = st.columns([1, 2])
data = c1.selectbox("Real data", list(gan_parts.DISTRIBUTIONS), format_func=gan_parts.DISTRIBUTIONS.get, key="data",
                    bind="query-params")
game = runners.run(gan.replay, gan.Shipped(f"gan_{data}"), label="Reading the shipped GAN")
with c2:
    step = step_picker(game, "step")
game_view(game, step, "shipped")
now, start = game.at(step), game.at(0)
r = game.recipe
chrome.notice(f"at step {step:,} D gives the real points {now['D(real)']:.2f} and G's points {now['D(fake)']:.2f} on "
              f"average (0.5 would mean it cannot tell them apart). The energy distance between G's points and the "
              f"real ones went from {start['energy distance']:.2f} at the start to {now['energy distance']:.3f}. "
              "Drag the slider back to step 0: G starts as a blob near the centre and D's map pushes it outwards. "
              f"The losses level off (D {now['discriminator']:.2f}, G {now['generator']:.2f}) instead of falling to 0: "
              "each player's gain is the other's loss. The dashed lines mark where they would sit if D could not tell "
              f"at all. This run took {game.seconds:.0f} s to make ({r.steps:,} steps of Adam, lr {r.lr:g}).")

# 2. The two players -------------------------------------------------------------------------------------------------
chrome.section("2 · The two players", "71")
model = gan.shipped_model(f"gan_{data}")
left, right = st.columns(2)
with left:
    st.markdown("**Generator G**: noise z (2 numbers) → a point (x1, x2)")
    show.layers(shapes.trace(model.G, gan.noise(4)), key="g-layers", title="Noise z")
with right:
    st.markdown("**Discriminator D**: a point → one logit; sigmoid(logit) = P(real)")
    show.layers(shapes.trace(model.D, gan_parts.real(data, 4)), key="d-layers", title="Point (x1, x2)")
with st.expander("One training step in code: both players' losses in one forward pass (core/zoo/gan_parts.py)"):
    st.code(inspect.getsource(gan_parts.GAN.forward) + "\n" + inspect.getsource(gan_parts.generator_loss))

# 3. Mode collapse ---------------------------------------------------------------------------------------------------
chrome.section("3 · Mode collapse: when G finds one answer that fools D")
balanced = runners.run(gan.replay, gan.Shipped("gan_ring"), label="Reading the shipped GAN")
collapsed = runners.run(gan.replay, gan.Shipped("gan_ring_collapse"), label="Reading the shipped GAN")
runs = {f"D with {g.recipe.d_width} units per layer": g for g in (balanced, collapsed)}
st.markdown(f"The same ring, the same G and the same training, but D has **{collapsed.recipe.d_width} units** per "
            f"hidden layer instead of {balanced.recipe.d_width}.")
show.chart(gan_charts.snapshots, gan.strip(runs), balanced.real, BOX, key="collapse-strip")
collapse_step = step_picker(collapsed, "collapse-step")
for column, (name, g) in zip(st.columns(2), runs.items()):
    with column:
        show.chart(gan_charts.game_map, *g.picture(collapse_step), g.real, BOX, name, data=g.samples,
                   key=f"collapse-map-{g.recipe.d_width}")
left, right = st.columns(2)
with left:
    show.chart(charts.lines, gan.compare(runs, "modes covered"), "step", "modes covered", "run", "training step",
               "modes covered (of 8)", key="collapse-modes")
with right:
    show.chart(charts.lines, gan.compare(runs, "spread"), "step", "spread", "run", "training step",
               "spread of G's points", key="collapse-spread")
show.table(gan.board(runs), key="collapse-table")
end_b, end_c = balanced.scores.iloc[-1], collapsed.scores.iloc[-1]
belief = collapsed.picture(collapse_step)[0]["p"]
ref = gan.references(collapsed.recipe.g_loss)  # each loss when D cannot tell: 2 ln 2 and ln 2
piled = "G turns nearly every z into about the same point. " if end_c["spread"] < balanced.real_spread / 4 else ""
chrome.notice(f"with the small D, G covers {int(end_c['modes covered'])} of 8 modes at the end (balanced: "
              f"{int(end_b['modes covered'])}), and its points lie {end_c['spread']:.2f} from their centre on average, "
              f"against {end_b['spread']:.2f} for the balanced run and {balanced.real_spread:.2f} for the real data. "
              f"{piled}Yet its losses end at D {end_c['discriminator']:.2f} and G {end_c['generator']:.2f}, next to "
              f"{ref['discriminator']:.2f} and {ref['generator']:.2f}, the losses of a D that says 0.5 to every point: "
              f"as if G had won. A D with {collapsed.recipe.d_width} units is too weak to "
              f"tell the pile from the ring (at step {collapse_step:,} its map only spans P(real) "
              f"{belief.min():.2f} to {belief.max():.2f}). G's best move against any D is to put its points where D "
              "is most convinced; a strong D answers with a dip under the pile, a weak one barely reacts, so the pile "
              "drifts from place to place (the strip above). A GAN's losses do not say whether its samples are good: "
              "measure them.")

# 4. Train it yourself -----------------------------------------------------------------------------------------------
chrome.section("4 · Train it yourself, live")
c1, c2, c3, c4 = st.columns(4)
own_data = c1.selectbox("Real data", list(gan_parts.DISTRIBUTIONS), format_func=gan_parts.DISTRIBUTIONS.get,
                        key="own-data", bind="query-params")
g_width = c2.select_slider("G: units per hidden layer", gan.WIDTHS, value=64, key="own-g", bind="query-params")
d_width = c3.select_slider("D: units per hidden layer", gan.WIDTHS, value=128, key="own-d", bind="query-params")
steps = c4.select_slider(f"Training steps (at most {max(gan.STEPS):,})", gan.STEPS, value=1600, key="own-steps",
                         bind="query-params", help="Each step: one batch of 128 real and 128 generated points. "
                                                   "A few seconds per 1,000 steps on 2 CPU cores.")
c1, c2, c3, c4 = st.columns(4)
g_loss = c1.radio("G's loss", list(gan_parts.G_LOSSES), format_func=gan_parts.G_LOSSES.get, key="own-loss",
                  bind="query-params")
lr = c2.select_slider("Learning rate (Adam, log scale)", (1e-4, 3e-4, 1e-3, 3e-3, 1e-2), value=1e-3, key="own-lr",
                      bind="query-params")
seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="gan-seed", bind="query-params")
train = c4.toggle("Train it yourself", key="own-train", bind="query-params",
                  help="Trains this GAN with the app's trainer, redrawing the map as it goes (a few seconds).")
recipe = runners.config(gan.Recipe, data=own_data, g_width=g_width, d_width=d_width, g_loss=g_loss, lr=lr,
                        steps=steps, seed=int(seed))
if not train:
    st.caption("Switch on **Train it yourself** to train this GAN; the map and the losses redraw while it trains.")
    st.stop()
left, right = st.columns([5, 6])
map_slot, loss_slot = left.empty(), right.empty()
refs = gan.references(recipe.g_loss)
own = runners.run(gan.play, recipe, label=f"Training the GAN for {steps:,} steps", live=lambda part: (
    show.redraw(map_slot, gan_charts.game_map(part.maps, part.samples, part.real, BOX, f"step {part.steps[-1]:,}")),
    show.redraw(loss_slot, gan_charts.game_losses(part.curves, None, refs))))
map_slot.empty()
loss_slot.empty()
if own.message:
    st.warning(own.message)
own_step = step_picker(own, "own-step")
game_view(own, own_step, "own")
end, first = own.scores.iloc[-1], own.scores.iloc[0]
total = gan_parts.n_modes(own_data)
covered = "" if total is None else f"It covers {int(end['modes covered'])} of {total} modes" + (
    ": some are missing, the mark of mode collapse. " if end["modes covered"] < total else ". ")
chrome.notice(f"your GAN trained for {own.steps[-1]:,} steps in {own.seconds:.1f} s. The energy distance to the real "
              f"data went from {first['energy distance']:.2f} to {end['energy distance']:.3f}. {covered}Its points "
              f"spread {end['spread']:.2f} from their centre (the real points: {own.real_spread:.2f}); at the end D "
              f"gives real points {end['D(real)']:.2f} and G's points {end['D(fake)']:.2f}. Try D with 4 units to see "
              "mode collapse, or G with 4 units: too small to draw the shape at all.")
chrome.end()
