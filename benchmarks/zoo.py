"""Zoo workloads: what the network-zoo pages do while a student watches them train."""
from __future__ import annotations

import time

import torch

from benchmarks.workloads import Figure, Sizes, _median_seconds
from core.charts import gan as gan_charts, style
from core.zoo import gan, transformer, transformer_steps
from core.zoo.source import Source


def gan_live(sizes: Sizes, device: torch.device) -> list[Figure]:
    """The GAN page's live training: train on the ring, and at every checkpoint redraw what the page redraws.

    A redraw is everything the page's live callback costs besides sending it: the checkpoint's
    scores and pictures (G's points, D's 40 x 40 map, both losses) and both Altair charts built
    into Vega-Lite specs. Every checkpoint is redrawn (the page's runner would skip those that come
    less than 0.2 s after the last one), so redraws per second is what the machine can sustain.
    """
    steps = max(2, sizes.live_epochs // 3) * gan.STEPS_PER_EPOCH  # Sizes(): 33 checkpoints, 825 steps
    recipe = gan.Recipe(steps=steps)
    references = gan.references(recipe.g_loss)
    redraws: list[float] = []

    def redraw(fraction: float, trained: gan.Trained) -> None:
        part = trained.game
        title = f"step {part.steps[-1]}"
        style(gan_charts.game_map(part.maps, part.samples, part.real, gan.BOX, title)).to_dict()
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
