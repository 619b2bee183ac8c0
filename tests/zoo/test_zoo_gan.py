"""The 2-D GAN: each player moves by its own loss, G's points approach the real ones, a small D collapses G."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from benchmarks import workloads, zoo as zoo_benchmarks
from core.zoo import gan, gan_lab, weights
from core.zoo.source import Source, resolve

SHORT = 800  # steps: enough for the balanced GAN to find the ring (a quarter of the shipped budget)


@pytest.fixture(scope="module")
def short_games() -> dict[str, tuple[gan.Trained, list[gan.Trained]]]:
    """The balanced and the collapse recipe (D with 4 units) on the ring, SHORT steps each, with their live parts."""
    games = {}
    for name, recipe in (("balanced", gan.Recipe(steps=SHORT)), ("collapse", gan.Recipe(steps=SHORT, d_width=4))):
        parts: list[gan.Trained] = []
        games[name] = (gan.train(recipe, on_progress=lambda f, part, parts=parts: parts.append(part)), parts)
    return games


def test_forward_returns_d_on_real_and_sets_the_game_only_while_training():
    model = gan.Recipe().build(torch.Generator().manual_seed(0))
    x = gan.real("ring", 16)
    out = model(x)
    assert out.shape == (16, 1) and model.aux_loss is not None and model.aux_loss.dim() == 0
    model.eval()
    assert torch.equal(model(x), model.D(x)) and model.aux_loss is None


@pytest.mark.parametrize("g_loss", list(gan.G_LOSSES))
def test_each_player_gets_the_gradient_of_its_own_loss_only(g_loss):
    """One backward pass of (D's loss on real) + aux_loss = D's gradient of D's loss, G's gradient of G's loss."""
    model = gan.Recipe(g_loss=g_loss).build(torch.Generator().manual_seed(1))
    x = gan.real("ring", 32)
    torch.manual_seed(7)
    real_logits = model(x)
    total = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + model.aux_loss
    total.backward()
    torch.manual_seed(7)  # the same noise z again, for the losses written out one by one
    fake = model.G(torch.randn(32, gan.NOISE))
    d_real, d_fake = model.D(x), model.D(fake.detach())
    d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
              + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
    g_loss_value = gan.generator_loss(functional_call(model.D, dict(model.D.named_parameters()), (fake,)), g_loss)
    d_grads = torch.autograd.grad(d_loss, list(model.D.parameters()))
    g_grads = torch.autograd.grad(g_loss_value, list(model.G.parameters()))
    for p, expected in zip(model.D.parameters(), d_grads):
        torch.testing.assert_close(p.grad, expected)
    for p, expected in zip(model.G.parameters(), g_grads):
        torch.testing.assert_close(p.grad, expected)


def test_scores_know_real_from_collapsed_points():
    ring, other = gan.real("ring", 2000, seed=3), gan.real("ring", 2000, seed=4)
    pile = gan.centres("ring")[0] + 0.05 * torch.randn(2000, 2, generator=torch.Generator().manual_seed(0))
    assert gan.energy_distance(ring, other) < 0.01
    assert gan.energy_distance(pile, ring) > 1.0
    assert gan.modes_covered(ring, "ring") == 8 and gan.modes_covered(pile, "ring") == 1
    assert gan.modes_covered(gan.real("grid", 2000), "grid") == 9
    assert gan.modes_covered(gan.real("moons", 100), "moons") is None
    assert gan.spread(pile) < 0.1
    assert 1.9 < gan.spread(ring) < 2.1  # the ring's radius is 2


def test_generated_points_end_much_closer_to_the_real_ones(short_games):
    """Energy distance between 1,000 generated and 512 held-out real points: at least 10x smaller after training."""
    game = short_games["balanced"][0].game
    start, end = game.scores["energy distance"].iloc[0], game.scores["energy distance"].iloc[-1]
    assert end < start / 10, (start, end)
    assert game.at(SHORT)["modes covered"] >= 7


def test_a_small_discriminator_collapses_the_generator(short_games):
    """Measured on fresh noise at the end: with D of 4 units G covers fewer modes and lies far from the real data."""
    balanced, collapse = short_games["balanced"][0], short_games["collapse"][0]
    z = gan.noise(2000, seed=123)
    models = {"balanced": balanced.model, "collapse": collapse.model}
    points = {name: m.sample(z) for name, m in models.items()}
    covered = {name: gan.modes_covered(p, "ring") for name, p in points.items()}
    assert covered["collapse"] + 3 <= covered["balanced"], covered
    ring = gan.real("ring", 1000, seed=9)
    distance = {name: gan.energy_distance(p[:1000], ring) for name, p in points.items()}
    assert distance["collapse"] > 5 * distance["balanced"], distance


def test_the_shipped_runs_show_the_same_collapse():
    balanced, collapse = gan.shipped("gan_ring").model, gan.shipped("gan_ring_collapse").model
    z = gan.noise(2000, seed=5)
    assert gan.modes_covered(balanced.sample(z), "ring") == 8
    assert gan.modes_covered(collapse.sample(z), "ring") <= 2
    assert gan.spread(collapse.sample(z)) < 0.5
    assert gan.spread(balanced.sample(z)) > 1.9


def test_live_parts_come_every_epoch_with_the_newest_picture(short_games):
    trained, parts = short_games["balanced"]
    game = trained.game
    assert len(parts) == SHORT // gan.STEPS_PER_EPOCH  # one redraw per epoch
    assert gan.STEPS_PER_EPOCH >= 20  # the issue: at least 20 training steps between two redraws
    for k, part in enumerate((live.game for live in parts), start=1):
        assert part.steps == [k * gan.STEPS_PER_EPOCH]  # the newest picture only
        assert len(part.maps) == gan.GRID**2 and len(part.samples) == gan.SHOWN
        assert part.curves.step.max() == k * gan.STEPS_PER_EPOCH
    assert game.steps[0] == 0 and game.steps[-1] == SHORT and len(game.steps) <= gan.PICTURES + 2
    assert ((game.maps.p >= 0) & (game.maps.p <= 1)).all()


def test_replay_draws_what_the_shipped_weights_draw():
    """The pictures kept in a file's meta were made by its weights: G on the recorder's fixed noise."""
    shipped = gan.shipped("gan_ring")
    game, model = shipped.game, shipped.model
    z = gan.noise(gan.MEASURED, seed=game.recipe.seed + 1)[: gan.SHOWN]
    last = game.samples[game.samples.step == game.steps[-1]][["x1", "x2"]].to_numpy()
    torch.testing.assert_close(torch.tensor(last, dtype=torch.float32), model.sample(z), atol=1e-3, rtol=0)
    assert game.shipped and game.at(game.steps[-1])["modes covered"] == 8


@pytest.mark.parametrize("asset", list(gan.SHIPPED))
def test_quick_weights_load_with_the_shipped_shapes(asset, tmp_path):
    model, meta = gan.SHIPPED[asset](quick=True)
    path = weights.save(asset, model, meta, tmp_path)
    state, read_meta = weights.read(path)
    shipped_state, shipped_meta = weights.load(asset)
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in shipped_state.items()}
    assert read_meta["recipe"] == {**shipped_meta["recipe"], "steps": 2 * gan.STEPS_PER_EPOCH}
    weights.into(gan.Recipe(**read_meta["recipe"]).build(), state)
    game = gan._unrecord(gan.Recipe(**read_meta["recipe"]), read_meta["record"], 0.0)
    assert game.steps == [0, gan.STEPS_PER_EPOCH, 2 * gan.STEPS_PER_EPOCH]
    assert path.stat().st_size < 400 * 1024


@pytest.mark.parametrize("change, message", [
    ({"data": "spiral"}, "Unknown distribution"),
    ({"d_width": 5}, "widths"),
    ({"g_loss": "wasserstein"}, "Unknown generator loss"),
    ({"lr": 1.0}, "learning rate"),
    ({"steps": 810}, "multiple of 25"),
    ({"steps": 100_000}, "at most"),
])
def test_recipes_refuse_bad_settings_with_a_sentence(change, message):
    with pytest.raises(ValueError, match=message):
        replace(gan.Recipe(), **change)


def test_references_are_the_losses_at_d_one_half():
    half = torch.zeros(10, 1)  # logit 0: D = 1/2
    refs = gan.references("non-saturating")
    assert math.isclose(refs["generator"], float(gan.generator_loss(half, "non-saturating")), rel_tol=1e-6)
    minimax = float(gan.generator_loss(half, "minimax"))
    assert math.isclose(gan.references("minimax")["generator"], minimax, rel_tol=1e-6)
    d_loss = 2 * float(F.binary_cross_entropy_with_logits(half, torch.ones_like(half)))  # real and generated terms
    assert math.isclose(refs["discriminator"], d_loss, rel_tol=1e-6)


def test_live_benchmark_runs_at_a_tiny_size():
    figures = {f.name: f for f in zoo_benchmarks.gan_live(workloads.QUICK, torch.device("cpu"))}
    assert figures["zoo.gan_steps_per_redraw"].value >= 20
    assert figures["zoo.gan_redraws_per_s"].value > 0 and math.isfinite(figures["zoo.gan_steps_per_s"].value)


def test_only_the_minimax_loss_makes_the_game_zero_sum():
    """Minimax: G's loss is minus D's loss on the generated points (one value, one maximizes, one minimizes).
    Non-saturating: not so; its G loss is positive where the minimax one is negative (Goodfellow et al. 2014)."""
    logits = torch.randn(64, 1, generator=torch.Generator().manual_seed(0))
    d_on_fake = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
    torch.testing.assert_close(gan.generator_loss(logits, "minimax"), -d_on_fake)
    non_saturating = gan.generator_loss(logits, "non-saturating")
    assert non_saturating > 0 and abs(float(non_saturating + d_on_fake)) > 0.1
    assert not gan.shipped("gan_ring").game.facts().zero_sum
    assert replace(gan.shipped("gan_ring").game, recipe=gan.Recipe(g_loss="minimax")).facts().zero_sum


def test_checkpoint_facts_are_the_scores_of_that_checkpoint_and_of_the_ends():
    game = gan.shipped("gan_ring").game
    rows = game.scores.set_index("step")
    f = game.facts(1600)
    assert (f.step, f.steps_total, f.at_start) == (1600, 3200, False)
    assert (f.d_real, f.d_fake, f.energy_now) == (rows.loc[1600, "D(real)"], rows.loc[1600, "D(fake)"],
                                                  rows.loc[1600, "energy distance"])
    assert (f.energy_start, f.energy_end) == (rows.loc[0, "energy distance"], rows.loc[3200, "energy distance"])
    assert f.energy_change == pytest.approx(f.energy_now - f.energy_start)
    assert (f.modes_total, f.modes_end, f.modes_missing) == (8, 8, 0)
    assert (f.blind_d, f.blind_g) == (pytest.approx(2 * math.log(2)), pytest.approx(math.log(2)))
    assert f.d_loss_end == pytest.approx(1.205, abs=0.01) and f.d_vs_blind == "below"  # 1.20 < 1.39 - 0.05
    assert f.start_blob and f.start_central and f.spread_start < 0.2 < 1.9 < f.real_spread
    start = game.facts(0)
    assert start.at_start and start.energy_now == start.energy_start and start.energy_change == 0
    moons = gan.shipped("gan_moons").game.facts()
    assert moons.modes_total == 0 and moons.d_vs_blind == "at"  # 1.377 is within 0.05 of 1.386


def test_collapse_facts_read_the_small_d_map_and_the_wandering_pile():
    balanced, collapsed = gan.shipped("gan_ring").game, gan.shipped("gan_ring_collapse").game
    c = gan_lab.collapse_facts(balanced, collapsed, 3200)
    assert (c.small_d_units, c.big_d_units, c.ring_modes, c.balanced_modes) == (4, 128, 8, 8)
    assert c.collapsed_modes <= 1 and c.collapsed_piled and c.collapsed_spread < 0.5
    assert c.looks_won and abs(c.collapsed_d_loss - 2 * math.log(2)) < 0.05
    belief = collapsed.maps[collapsed.maps.step == 3200].p
    assert (c.map_low, c.map_high) == (belief.min(), belief.max()) and c.map_flat
    assert not gan_lab.collapse_facts(balanced, collapsed, 0).map_flat  # at step 0 the small D's map spans 0.54 to 0.72
    late = [s for s in collapsed.steps if s >= 1600]
    for a, b in zip(late, late[1:]):  # the span is at least every move between two neighbouring pictures
        assert c.pile_span >= float(((collapsed.centre(a) - collapsed.centre(b)) ** 2).sum() ** 0.5) - 1e-9
    assert c.pile_drifts and c.pile_span > 10 * c.collapsed_spread


def test_views_run_on_a_given_game_and_never_train_one(forbid_training):
    """The page hands its views a trained game: with training switched off, shipped sources resolve and
    every view of the page still runs."""
    forbid_training(gan, "train")
    balanced = resolve(Source("gan", asset="gan_ring"))
    collapsed = resolve(Source("gan", asset="gan_ring_collapse"))
    result = gan_lab.collapse(gan_lab.Collapse(step=3200), balanced, collapsed)
    assert len(result.board) == 2 and result.facts.balanced_modes == 8
    layers = gan_lab.players(gan_lab.Players(Source("gan", asset="gan_grid")), resolve(Source("gan", asset="gan_grid")))
    assert len(layers.generator) > 0 and layers.generator["output shape"].iloc[-1] == (2,)
    with pytest.raises(ValueError, match="asks for the shipped gan_grid but was handed another model"):
        gan_lab.players(gan_lab.Players(Source("gan", asset="gan_grid")), balanced)
    with pytest.raises(ValueError, match="no picture at step"):
        gan_lab.collapse(gan_lab.Collapse(step=3201), balanced, collapsed)
    with pytest.raises(ValueError, match="No shipped GAN called"):
        gan.shipped("gan_spiral")
