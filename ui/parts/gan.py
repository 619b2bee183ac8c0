"""The GAN page's sections (pages/13_Zoo_GAN.py): checkpoint views, the players, mode collapse, training.

Every number a sentence states comes from core facts (`gan.CheckpointFacts`, `gan_lab.CollapseFacts`);
these functions only choose the words and place the charts.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.charts import gan as gan_charts
from core.zoo import gan, gan_lab
from core.zoo.source import Source
from ui import chrome, runners, show, zoo


def step_picker(game: gan.Game, key: str) -> int:
    """A slider over the game's checkpoints (the last one first)."""
    return st.select_slider(f"Training step (checkpoint, at most {game.last_step:,})", game.steps,
                            value=game.last_step, key=key, bind="query-params", format_func=lambda s: f"{s:,}")


def game_view(game: gan.Game, step: int, key: str) -> gan.CheckpointFacts:
    """D's map with G's points at `step`, both losses, and the scores of that checkpoint (returned as facts)."""
    left, right = st.columns([5, 6])
    with left:
        show.chart(gan_charts.game_map, *game.picture(step), game.real, gan.BOX,
                   f"D's map and G's points after {step:,} steps",
                   data=game.samples, key=f"{key}-map")
    with right:
        show.chart(gan_charts.game_losses, game.curves, step, gan.references(game.recipe.g_loss),
                   key=f"{key}-losses")
    facts = game.facts(step)
    modes, energy, real, fake = st.columns(4)
    modes.metric("Modes covered", f"{facts.modes_now} of {facts.modes_total}" if facts.modes_total else "–",
                 help=f"A Gaussian counts when it gets at least {gan.COVERED_SHARE:.0%} of its fair share of "
                      f"{gan.MEASURED:,} generated points within 3 standard deviations of its centre.")
    energy.metric("Energy distance to the real data", f"{facts.energy_now:.3f}",
                  f"{facts.energy_change:+.3f} since step 0", delta_color="inverse",
                  help="2·E|X−Y| − E|X−X'| − E|Y−Y'| between generated X and real Y: 0 when they match.")
    real.metric("D(real) on average", f"{facts.d_real:.2f}", help="D's P(real) for the real points; 0.5: cannot tell.")
    fake.metric("D(generated) on average", f"{facts.d_fake:.2f}", help="D's P(real) for G's points.")
    return facts


def game_notice(f: gan.CheckpointFacts) -> None:
    """What to notice about one checkpoint of a shipped game."""
    energy = (f"The energy distance between G's points and the real ones is {f.energy_start:.2f} here at the start "
              f"and {f.energy_end:.3f} at step {f.steps_total:,}. " if f.at_start else
              f"The energy distance between G's points and the real ones went from {f.energy_start:.2f} at the "
              f"start to {f.energy_now:.3f}. ")
    blob = (f"{'a blob' if f.start_blob else 'a cloud'}{' near the middle' if f.start_central else ''}: at step 0 "
            f"its points lie {f.spread_start:.2f} from their centre on average, the real ones {f.real_spread:.2f}")
    game_kind = ("G minimizes V = E log D(x) + E log(1 − D(G(z))), the value D maximizes; only its second term "
                 "depends on G, so G's loss shows just that term: the slide's minimax game, a zero-sum game, "
                 "each player's gain is the other's loss. It ends when" if f.zero_sum else
                 "In the slide's minimax game G would minimize V, the value D maximizes, a zero-sum game. Here G "
                 "minimizes −log D(G(z)) instead, the non-saturating loss of Goodfellow et al. (2014): it gives G "
                 "strong gradients while D is winning and makes the game no longer zero-sum, yet it ends at the "
                 "same point, when")
    where = {"below": "D's loss ends below its line: D still tells the points apart a little.",
             "at": "D's loss ends on its line: D can hardly tell the points apart.",
             "above": "D's loss ends above its line: D does worse than answering 0.5 everywhere."}[f.d_vs_blind]
    chrome.notice(f"at step {f.step:,} D gives the real points {f.d_real:.2f} and G's points {f.d_fake:.2f} on "
                  f"average (0.5 would mean it cannot tell them apart). {energy}G starts as {blob}. At the end the "
                  f"losses are D {f.d_loss_end:.2f} and G {f.g_loss_end:.2f}, not 0. {game_kind} G's points match "
                  f"the real ones and D says 0.5 to every point. The dashed lines mark the losses there, D "
                  f"{f.blind_d:.2f} and G {f.blind_g:.2f}; {where} This run took {f.seconds:.0f} s to make "
                  f"({f.steps_total:,} steps of Adam, lr {f.lr:g}).", f)


def players(trained: gan.Trained, source: Source) -> None:
    """G's and D's layers from a real forward pass, and the training step's code."""
    layers = runners.run(gan_lab.players, gan_lab.Players(source), label="Tracing the two players",
                         inputs=(trained,))
    left, right = st.columns(2)
    with left:
        st.markdown("**Generator G**: noise z (2 numbers) → a point (x1, x2)")
        show.layers(layers.generator, key="g-layers", title="Noise z")
    with right:
        st.markdown("**Discriminator D**: a point → one logit; sigmoid(logit) = P(real)")
        show.layers(layers.discriminator, key="d-layers", title="Point (x1, x2)")
    with show.folded("One training step in code: both players' losses in one forward pass (core/zoo/gan.py)",
                     key="gan-code") as more:
        if more.open:
            st.code(inspect.getsource(gan.GAN.forward) + "\n" + inspect.getsource(gan.generator_loss))


def collapse(balanced: gan.Trained, collapsed: gan.Trained) -> None:
    """Section 3: the balanced game against the one with a small D, side by side."""
    st.markdown(f"The same ring, the same G and the same training, but D has **{collapsed.recipe.d_width} units** "
                f"per hidden layer instead of {balanced.recipe.d_width}.")
    strip_slot = st.container()
    step = step_picker(collapsed.game, "collapse-step")
    cfg = runners.config(gan_lab.Collapse, step=step)
    result = runners.run(gan_lab.collapse, cfg, label="Comparing the two games", inputs=(balanced, collapsed))
    with strip_slot:
        show.chart(gan_charts.snapshots, result.strip, balanced.game.real, gan.BOX, key="collapse-strip")
    for column, (name, game) in zip(st.columns(2), result.runs.items()):
        with column:
            show.chart(gan_charts.game_map, *game.picture(step), game.real, gan.BOX, name, data=game.samples,
                       key=f"collapse-map-{game.recipe.d_width}")
    left, right = st.columns(2)
    with left:
        show.chart(gan_charts.over_training, result.modes, "modes covered", "modes covered (of 8)",
                   "Modes covered by G's points, checkpoint by checkpoint", key="collapse-modes")
    with right:
        show.chart(gan_charts.over_training, result.spread, "spread", "spread of G's points",
                   "How far G's points lie from their centre, checkpoint by checkpoint", key="collapse-spread")
    show.table(result.board, key="collapse-table")
    collapse_notice(result.facts)


def collapse_notice(c: gan_lab.CollapseFacts) -> None:
    piled = "G turns nearly every z into about the same point. " if c.collapsed_piled else ""
    losses = (f"Yet its losses end at D {c.collapsed_d_loss:.2f} and G {c.collapsed_g_loss:.2f}, next to "
              f"{c.collapse_blind_d:.2f} and {c.collapse_blind_g:.2f}, the losses of a D that says 0.5 to every "
              "point: as if G had won. " if c.looks_won else
              f"Its losses end at D {c.collapsed_d_loss:.2f} and G {c.collapsed_g_loss:.2f}; a D that says 0.5 to "
              f"every point would have {c.collapse_blind_d:.2f} and {c.collapse_blind_g:.2f}. ")
    weak = (f"A D with {c.small_d_units} units is too weak to tell the pile from the ring: at step {c.map_step:,} "
            f"its map only spans P(real) {c.map_low:.2f} to {c.map_high:.2f}. " if c.map_flat else
            f"At step {c.map_step:,} the small D's map spans P(real) {c.map_low:.2f} to {c.map_high:.2f}. ")
    drift = (f", so the pile drifts from place to place: in the second half of training its centre is found up to "
             f"{c.pile_span:.1f} away from where it was at another checkpoint (the strip above)"
             if c.pile_drifts else "")
    chrome.notice(f"with the small D, G covers {c.collapsed_modes} of {c.ring_modes} modes at the end (balanced: "
                  f"{c.balanced_modes}), and its points lie {c.collapsed_spread:.2f} from their centre on average, "
                  f"against {c.balanced_spread:.2f} for the balanced run and {c.ring_spread:.2f} for the real data. "
                  f"{piled}{losses}{weak}G's best move against a fixed D is to put its points where D is most "
                  f"convinced; a strong D answers with a dip under the pile, a weak one barely reacts{drift}. A "
                  "GAN's losses do not say whether its samples are good: measure them.", c)


def recipe() -> tuple[gan.Recipe | None, Source]:
    """The 'which network' box's controls: the real data (its shipped game) and 'Train it yourself' with its recipe."""
    data = st.selectbox("Real data", list(gan.DISTRIBUTIONS), format_func=gan.DISTRIBUTIONS.get, key="data",
                        bind="query-params")
    shipped = Source("gan", asset=gan.asset(data))
    if not st.toggle("Train it yourself", key="own-train", bind="query-params",
                     help="Trains a GAN on this data with the app's trainer, redrawing the map as it goes."):
        return None, shipped
    g_width, d_width, steps = st.columns(3)
    g_units = g_width.select_slider("G: units per hidden layer", gan.WIDTHS, value=64, key="own-g",
                                    bind="query-params")
    d_units = d_width.select_slider("D: units per hidden layer", gan.WIDTHS, value=128, key="own-d",
                                    bind="query-params")
    n_steps = steps.select_slider(f"Training steps (at most {max(gan.STEPS):,})", gan.STEPS, value=1600,
                                  key="own-steps", bind="query-params",
                                  help="Each step: one batch of 128 real and 128 generated points.")
    loss, rate, seed_box = st.columns(3)
    g_loss = loss.radio("G's loss", list(gan.G_LOSSES), format_func=gan.G_LOSSES.get, key="own-loss",
                        bind="query-params")
    lr = rate.select_slider("Learning rate (Adam, log scale)", (1e-4, 3e-4, 1e-3, 3e-3, 1e-2), value=1e-3,
                            key="own-lr", bind="query-params")
    seed = zoo.seed(seed_box, "gan-seed")
    own = runners.config(gan.Recipe, data=data, g_width=g_units, d_width=d_units, g_loss=g_loss, lr=lr,
                         steps=n_steps, seed=int(seed))
    return own, shipped


def live(recipe: gan.Recipe | None) -> Callable[[DeltaGenerator], Callable[[gan.Trained], None]]:
    """For the slot under the button: a redraw of the map and the losses while `recipe` trains (the map as an SVG
    picture, cheap for every checkpoint; the interactive Altair map follows once training ends)."""
    references = gan.references(recipe.g_loss if recipe else gan.Recipe.g_loss)

    def into(slot: DeltaGenerator) -> Callable[[gan.Trained], None]:
        slots: list[DeltaGenerator] = []  # the map's and the losses' places, made at the first redraw

        def redraw(part: gan.Trained) -> None:
            if not slots:
                slots.extend(column.empty() for column in slot.container().columns([5, 6]))
            map_slot, loss_slot = slots
            game = part.game
            title = f"D's map and G's points at step {game.last_step:,}"
            map_slot.html(f'<div style="font-weight:700;margin-bottom:6px">{title}</div>'
                          + gan_charts.game_svg(game.maps, game.samples, game.real, gan.BOX, title))
            show.redraw(loss_slot, gan_charts.game_losses(game.curves, None, references))
        return redraw

    return into


def which_game(trained: gan.Trained, slot: DeltaGenerator) -> None:
    """Under the button: whose game the page shows (and a student's run's warning)."""
    recipe = trained.recipe
    who = "the shipped game (`python -m core.zoo`)" if trained.shipped else "**your** game"
    slot.caption(f"Showing {who}: {gan.DISTRIBUTIONS[recipe.data]}, G {recipe.g_width} and D {recipe.d_width} "
                 f"units per hidden layer, {recipe.steps:,} steps of Adam at lr {recipe.lr:g}, seed {recipe.seed}.")
    if trained.game.message:
        st.warning(trained.game.message)


def own_notice(e: gan.CheckpointFacts) -> None:
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
    chrome.notice(f"your GAN trained for {e.steps_total:,} steps in {e.seconds:.1f} s. The energy distance to the "
                  f"real data went from {e.energy_start:.2f} to {e.energy_end:.3f}. {covered}Its points spread "
                  f"{e.spread_end:.2f} from their centre (the real points: {e.real_spread:.2f}); at the end D gives "
                  f"real points {e.d_real_end:.2f} and G's points {e.d_fake_end:.2f}. {d_try}{g_try}", e)
