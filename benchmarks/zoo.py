"""Zoo workloads: what the network-zoo pages do while a student watches them train."""
from __future__ import annotations

import time

import torch

from benchmarks.workloads import Figure, Sizes, _median_seconds
from core.charts import gan as gan_charts, style
from core.zoo import gan, gan_steps


def gan_live(sizes: Sizes, device: torch.device) -> list[Figure]:
    """The GAN page's live training: train on the ring, and at every checkpoint redraw what the page redraws.

    A redraw is everything the page's live callback costs besides sending it: the checkpoint's
    scores and pictures (G's points, D's 40 x 40 map, both losses), the map drawn as the SVG picture
    the page shows while training (its Altair chart took ~150 ms to build, as long as 25 steps) and the
    losses' Altair chart built into a Vega-Lite spec. Every checkpoint is redrawn (the page's runner would
    skip those that come less than 0.2 s after the last one), so redraws per second is what the machine can sustain.
    """
    steps = max(2, sizes.live_epochs // 3) * gan.STEPS_PER_EPOCH  # Sizes(): 33 checkpoints, 825 steps
    recipe = gan.Recipe(steps=steps)
    references = gan.references(recipe.g_loss)
    redraws: list[float] = []

    def redraw(fraction: float, trained: gan.Trained) -> None:
        part = trained.game
        gan_charts.game_svg(part.maps, part.samples, part.real, gan.BOX, f"step {part.steps[-1]}")
        style(gan_charts.game_losses(part.curves, None, references)).to_dict()
        redraws.append(time.perf_counter())

    def work() -> None:
        redraws.clear()
        gan.train(recipe, on_progress=redraw, device=device)

    [seconds] = _median_seconds([work], sizes.live_runs, device)
    per_redraw = gan.STEPS_PER_EPOCH
    note = (f"{steps} steps on the ring (G 64, D 128 units, batch {gan.BATCH}), {len(redraws)} redraws, "
            f"median of {sizes.live_runs}")
    return [
        Figure("zoo.gan_steps_per_redraw", float(per_redraw), "steps", ">= 20", note),
        Figure("zoo.gan_redraws_per_s", len(redraws) / seconds, "redraws/s", ">= 5", note),
        Figure("zoo.gan_steps_per_s", steps / seconds, "steps/s", "state", note),
    ]


def gan_step(sizes: Sizes, device: torch.device) -> list[Figure]:
    """The GAN page's step-by-step game (section 4): one press of Step D or Step G, as the page answers it.

    One update of one player (with the facts of the move: the arrows before it, the points and D's map
    before and after), then the frame: `view()` (D's map, G's points, the arrows, the warped noise grid) drawn
    as the page's HTML block, and the losses' Altair chart built into a Vega-Lite spec. Timed on a game 200
    updates in (the players' first moves are not typical), D and G pressed in turn.
    """
    from ui.parts import gan_steps as steps_ui  # the page's own frame builder (it imports streamlit, not a server)

    game = gan_steps.Stepper(gan_steps.Duel())
    game.step_both(1e-3, 1e-3, 100)
    references = gan.references(game.duel.g_loss)
    presses = iter(range(1_000_000))

    def press() -> None:
        game.step_d(1e-3) if next(presses) % 2 else game.step_g(1e-3)
        steps_ui.frame_html(game.view())
        style(gan_charts.game_losses(game.curves(), None, references, steps_ui.LOSSES_TITLE, steps_ui.AXIS)).to_dict()

    [seconds] = _median_seconds([press], max(5, sizes.runs * 4), device)
    note = f"ring, a game {game.updates} updates in, Step D and Step G in turn, the frame and the losses' chart"
    return [Figure("zoo.gan_step_s", seconds, "s", "<= 0.3", note)]
