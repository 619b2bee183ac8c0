"""Zoo workloads: what the network-zoo pages do while a student watches them train."""
from __future__ import annotations

import itertools
import time

import torch

from benchmarks.workloads import Figure, Sizes, _median_seconds
from core.charts import cnn as cnn_charts, gan as gan_charts, style
from core.zoo import cnn, convolution, gan, gan_steps, transformer, transformer_steps
from core.zoo.source import Source


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


def transformer_steps_s(sizes: Sizes, device: torch.device) -> list[Figure]:
    """The Transformer page's worked query (section 2) and one sampled answer (section 5) on the shipped models,
    computed afresh each time (what a student's new word or setting costs before the cache has it), warm."""
    encoder = transformer.shipped(transformer.asset("encoder"))
    decoder = transformer.shipped(transformer.asset("decoder"))
    worked = transformer_steps.Worked("ATTENTION", Source("transformer", asset=transformer.asset("encoder")))
    sample = transformer_steps.Sample()
    worked_s, sample_s = _median_seconds([lambda: transformer_steps.worked(worked, encoder),
                                          lambda: transformer_steps.sample(sample, decoder)], sizes.runs, device)
    note = f"shipped models, CPU, median of {sizes.runs} after a warm-up"
    return [Figure("zoo.transformer_worked_s", worked_s, "s", "<= 0.3", f"ATTENTION, the copying head; {note}"),
            Figure("zoo.transformer_sample_s", sample_s, "s", "<= 0.3",
                   f"GREEDY sampled at T = 2, top-5, up to 10 steps, and its greedy answer; {note}")]


def cnn_by_hand(sizes: Sizes, device: torch.device) -> list[Figure]:
    """The CNN page's sections 6 and 7 after a click: a new cell worked by hand (conv2, every input map: the larger
    of the two layers) and a new explorer setting, each its core call and its four grids built into Vega-Lite specs.

    Warm: the shipped model is loaded once before (the page keeps it in the shared model cache); each timed call
    asks for a cell or a setting not asked before, so no spec comes from ui/show's cache.
    """
    trained = cnn.shipped()
    cells = iter(range(10**6))
    settings = iter(itertools.cycle([(k, s, p, d) for k in (3, 5) for s in (1, 2) for p in (1, 2) for d in (1, 2)]))

    def click() -> None:
        i = next(cells)
        worked = convolution.cell(convolution.Cell(image=i % 100, layer=2, channel=i % 16, row=i % 4, col=i // 4 % 4),
                                  trained)
        for chart in (cnn_charts.numbers(worked.inputs, "input", signed=True),
                      cnn_charts.numbers(worked.feature_map, "map", clickable=True),
                      cnn_charts.numbers(worked.worked, "worked", facet="grid", prefix="", columns=3,
                                         own_colours=True),
                      cnn_charts.numbers(worked.pool_window, "pool")):
            style(chart).to_dict()

    def explore() -> None:
        k, s, p, d = next(settings)
        result = convolution.explore(convolution.Explorer("digit", "sharpen", k, s, p, d))
        for chart in (cnn_charts.numbers(result.padded, "padded", signed=False, digits=1),
                      cnn_charts.numbers(result.kernel, "kernel"),
                      cnn_charts.numbers(result.output, "output", clickable=True),
                      cnn_charts.numbers(result.worked, "worked", facet="grid", prefix="", columns=3,
                                         own_colours=True)):
            style(chart).to_dict()

    click_s, explore_s = _median_seconds([click, explore], max(3, sizes.runs), device)
    note = f"median of {max(3, sizes.runs)}, after a warm-up; a new cell or setting each time, shipped CNN loaded"
    return [Figure("zoo.cnn_click_s", click_s, "s", "<= 0.3", "conv2 cell (8 input maps): " + note),
            Figure("zoo.cnn_explorer_s", explore_s, "s", "<= 0.3", note)]


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
