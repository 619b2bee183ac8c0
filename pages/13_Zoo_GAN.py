"""Network zoo: GAN (slide 71): a generator against a discriminator on 2-D data, checkpoint by checkpoint and live."""
import inspect

import streamlit as st

from core import charts
from core.charts import gan as gan_charts
from core.zoo import gan, gan_parts, shapes
from ui import chrome, runners, show

chrome.page("Network zoo: GAN", "71", """A **generative adversarial network** is two networks playing a game. The
**generator** G turns random noise z into a data point; the **discriminator** D looks at a point and says how likely
it is real. D learns to tell real points from generated ones, G learns to fool D: a **min-max game**. At the game's
ideal end point (given networks large enough), G's points are distributed like the real data and D says 0.5 everywhere;
section 3 shows a game that stalls elsewhere. Here the data are points in the plane, so you can watch the whole game:
D's belief as a map, G's points moving over it.""")
BOX = gan_parts.BOX


def step_picker(game: gan.Game, key: str) -> int:
    """A slider over the game's checkpoints (the last one first)."""
    return st.select_slider(f"Training step (checkpoint, at most {game.last_step:,})", game.steps, value=game.last_step,
                            key=key, bind="query-params", format_func=lambda s: f"{s:,}")


def game_view(game: gan.Game, step: int, key: str) -> gan.CheckpointFacts:
    """D's map with G's points at `step`, both losses, and the scores of that checkpoint (returned as facts)."""
    left, right = st.columns([5, 6])
    with left:
        show.chart(gan_charts.game_map, *game.picture(step), game.real, BOX, f"after {step:,} steps", data=game.samples,
                   key=f"{key}-map")
    with right:
        show.chart(gan_charts.game_losses, game.curves, step, gan.references(game.recipe.g_loss), key=f"{key}-losses")
    f = game.facts(step)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Modes covered", f"{f.modes_now} of {f.modes_total}" if f.modes_total else "–",
              help=f"A Gaussian counts when it gets at least {gan_parts.COVERED_SHARE:.0%} of its fair share of "
                   f"{gan.MEASURED:,} generated points within 3 standard deviations of its centre.")
    c2.metric("Energy distance to the real data", f"{f.energy_now:.3f}", f"{f.energy_change:+.3f} since step 0",
              delta_color="inverse",
              help="2·E|X−Y| − E|X−X'| − E|Y−Y'| between generated X and real Y: 0 when they match.")
    c3.metric("D(real) on average", f"{f.d_real:.2f}", help="D's P(real) for the real points; 0.5: cannot tell.")
    c4.metric("D(generated) on average", f"{f.d_fake:.2f}", help="D's P(real) for G's points.")
    return f


# 1. The game, checkpoint by checkpoint ------------------------------------------------------------------------------
chrome.section("1 · The game, checkpoint by checkpoint", "71")
c1, c2 = st.columns([1, 2])
data = c1.selectbox("Real data", list(gan_parts.DISTRIBUTIONS), format_func=gan_parts.DISTRIBUTIONS.get, key="data",
                    bind="query-params")
game = runners.run(gan.replay, gan.Shipped(f"gan_{data}"), label="Reading the shipped GAN")
with c2:
    step = step_picker(game, "step")
f = game_view(game, step, "shipped")
energy = (f"The energy distance between G's points and the real ones is {f.energy_start:.2f} here at the start and "
          f"{f.energy_end:.3f} at step {f.steps_total:,}. " if f.at_start else
          f"The energy distance between G's points and the real ones went from {f.energy_start:.2f} at the start to "
          f"{f.energy_now:.3f}. ")
blob = (f"{'a blob' if f.start_blob else 'a cloud'}{' near the middle' if f.start_central else ''}: at step 0 its "
        f"points lie {f.spread_start:.2f} from their centre on average, the real ones {f.real_spread:.2f}")
game_kind = ("G minimizes V = E log D(x) + E log(1 − D(G(z))), the value D maximizes; only its second term "
             "depends on G, so G's loss shows just that term: the slide's minimax game, a zero-sum game, "
             "each player's gain is the other's loss. It ends when" if f.zero_sum else
             "In the slide's minimax game G would minimize V, the value D maximizes, a zero-sum game. Here G "
             "minimizes −log D(G(z)) instead, the non-saturating loss of Goodfellow et al. (2014): it gives G strong "
             "gradients while D is winning and makes the game no longer zero-sum, yet it ends at the same point, when")
where = {"below": "D's loss ends below its line: D still tells the points apart a little.",
         "at": "D's loss ends on its line: D can hardly tell the points apart.",
         "above": "D's loss ends above its line: D does worse than answering 0.5 everywhere."}[f.d_vs_blind]
chrome.notice(f"at step {f.step:,} D gives the real points {f.d_real:.2f} and G's points {f.d_fake:.2f} on average "
              f"(0.5 would mean it cannot tell them apart). {energy}G starts as {blob}. At the end the losses are D "
              f"{f.d_loss_end:.2f} and G {f.g_loss_end:.2f}, not 0. {game_kind} G's points match the real ones and "
              f"D says 0.5 to every point. The dashed lines mark the losses there, D {f.blind_d:.2f} and G "
              f"{f.blind_g:.2f}; {where} This run took {f.seconds:.0f} s to make ({f.steps_total:,} steps of Adam, lr "
              f"{f.lr:g}).", f)

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
chrome.section("3 · Mode collapse: when G finds one answer that fools D", "71")
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
c = gan.collapse_facts(balanced, collapsed, collapse_step)
piled = "G turns nearly every z into about the same point. " if c.collapsed_piled else ""
losses = (f"Yet its losses end at D {c.collapsed_d_loss:.2f} and G {c.collapsed_g_loss:.2f}, next to "
          f"{c.collapse_blind_d:.2f} and {c.collapse_blind_g:.2f}, the losses of a D that says 0.5 to every point: as "
          "if G had won. " if c.looks_won else
          f"Its losses end at D {c.collapsed_d_loss:.2f} and G {c.collapsed_g_loss:.2f}; a D that says 0.5 to every "
          f"point would have {c.collapse_blind_d:.2f} and {c.collapse_blind_g:.2f}. ")
weak = (f"A D with {c.small_d_units} units is too weak to tell the pile from the ring: at step {c.map_step:,} its map "
        f"only spans P(real) {c.map_low:.2f} to {c.map_high:.2f}. " if c.map_flat else
        f"At step {c.map_step:,} the small D's map spans P(real) {c.map_low:.2f} to {c.map_high:.2f}. ")
drift = (f", so the pile drifts from place to place: in the second half of training its centre is found up to "
         f"{c.pile_span:.1f} away from where it was at another checkpoint (the strip above)" if c.pile_drifts else "")
chrome.notice(f"with the small D, G covers {c.collapsed_modes} of {c.ring_modes} modes at the end (balanced: "
              f"{c.balanced_modes}), and its points lie {c.collapsed_spread:.2f} from their centre on average, against "
              f"{c.balanced_spread:.2f} for the balanced run and {c.ring_spread:.2f} for the real data. {piled}{losses}"
              f"{weak}G's best move against a fixed D is to put its points where D is most convinced; a strong D "
              f"answers with a dip under the pile, a weak one barely reacts{drift}. A GAN's losses do not say whether "
              "its samples are good: measure them.", c)

# 4. Train it yourself -----------------------------------------------------------------------------------------------
chrome.section("4 · Train it yourself, live", "71")
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
    show.redraw(map_slot, gan_charts.game_map(part.maps, part.samples, part.real, BOX, f"step {part.last_step:,}")),
    show.redraw(loss_slot, gan_charts.game_losses(part.curves, None, refs))))
map_slot.empty()
loss_slot.empty()
if own.message:
    st.warning(own.message)
own_step = step_picker(own, "own-step")
game_view(own, own_step, "own")
e = own.facts()
covered = "" if not e.modes_total else (
    f"It covers all {e.modes_total} modes. " if not e.modes_missing else
    f"It covers none of the {e.modes_total} modes: " + (
        "its points pile up in one place, mode collapse. " if e.piled_end else
        "its points do not sit on the Gaussians. ")
    if not e.modes_end else
    f"It covers {e.modes_end} of {e.modes_total} modes: {e.modes_missing} get almost none of G's points (mode "
    "dropping, a partial mode collapse). ")
d_try = ("D has 4 units here, the size that collapsed in section 3" if e.d_smallest else
         "Try D with 4 units, the size that collapsed in section 3")
g_try = ("; G has 4 units, the smallest G here." if e.g_smallest else
         ", or G with 4 units, to see how little a tiny G can draw.")
chrome.notice(f"your GAN trained for {e.steps_total:,} steps in {e.seconds:.1f} s. The energy distance to the real "
              f"data went from {e.energy_start:.2f} to {e.energy_end:.3f}. {covered}Its points spread "
              f"{e.spread_end:.2f} from their centre (the real points: {e.real_spread:.2f}); at the end D gives real "
              f"points {e.d_real_end:.2f} and G's points {e.d_fake_end:.2f}. {d_try}{g_try}", e)
chrome.end()
