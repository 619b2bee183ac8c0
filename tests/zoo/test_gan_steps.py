"""The step-by-step GAN (core/zoo/gan_steps.py): one player per update, its learning rate, the arrows, the warped
noise grid and the facts of a move, checked with numbers against autograd and the players themselves."""
from __future__ import annotations

import re
from urllib.parse import unquote

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import grad, vmap

from benchmarks import workloads, zoo as zoo_benchmarks
from core.charts import gan as gan_charts
from core.zoo import gan, gan_steps
from core.zoo.gan_steps import Duel, Stepper


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _largest_change(before: list[torch.Tensor], module: torch.nn.Module) -> float:
    return max(float((b - p.detach()).abs().max()) for b, p in zip(before, module.parameters()))


@pytest.mark.parametrize("g_loss", list(gan.G_LOSSES))
def test_the_arrows_are_minus_each_points_own_gradient_of_gs_loss_through_autograd(g_loss):
    game = Stepper(Duel(g_loss=g_loss))
    game.step_both(1e-3, 1e-3, 5)
    view = game.view()
    d = game.model.D

    def own_loss(x: torch.Tensor) -> torch.Tensor:  # one point's term of G's loss, written out
        logit = torch.func.functional_call(d, dict(d.named_parameters()), (x[None],))[0, 0]
        return -F.logsigmoid(logit) if g_loss == "non-saturating" else F.logsigmoid(-logit)

    expected = -vmap(grad(own_loss))(torch.tensor(view.tails))
    np.testing.assert_allclose(view.arrows, expected.detach().numpy(), rtol=1e-4, atol=1e-6)
    assert view.tails.shape == (gan.SHOWN // gan_steps.ARROWS_EVERY, 2)
    assert np.abs(view.arrows).max() > 0
    # ... and the mean loss's gradient is theirs over N (autograd on the batch mean)
    x = torch.tensor(view.tails, requires_grad=True)
    gan.generator_loss(d(x), g_loss).backward()
    np.testing.assert_allclose(-x.grad.numpy() * len(x), view.arrows, rtol=1e-4, atol=1e-6)


def test_a_g_step_changes_only_g_and_a_d_step_only_d():
    game = Stepper(Duel())
    g_before, d_before = _params(game.model.G), _params(game.model.D)
    game.step_g(1e-3)
    assert _largest_change(g_before, game.model.G) > 1e-4 and _largest_change(d_before, game.model.D) == 0
    g_before = _params(game.model.G)
    game.step_d(1e-3)
    assert _largest_change(d_before, game.model.D) > 1e-4 and _largest_change(g_before, game.model.G) == 0
    assert (game.d_steps, game.g_steps, game.updates) == (1, 1, 2)
    game.step_both(1e-3, 1e-3, times=3)
    assert (game.d_steps, game.g_steps, game.last) == (4, 4, "both")


@pytest.mark.parametrize(("d_lr", "g_lr"), [(1e-4, 1e-2), (3e-3, 3e-4)])
def test_each_player_steps_with_its_own_learning_rate_one_adam_two_param_groups(d_lr, g_lr):
    """Adam's first step moves a parameter by lr · g / (|g| + eps): about lr for every parameter with a gradient."""
    game = Stepper(Duel())
    groups = game.optimizer.param_groups
    assert [p is q for p, q in zip(groups[0]["params"], game.model.G.parameters())] == [True] * 6
    assert [p is q for p, q in zip(groups[1]["params"], game.model.D.parameters())] == [True] * 6
    g_before, d_before = _params(game.model.G), _params(game.model.D)
    game.step_g(g_lr)
    assert _largest_change(g_before, game.model.G) == pytest.approx(g_lr, rel=1e-3)
    game.step_d(d_lr)
    assert _largest_change(d_before, game.model.D) == pytest.approx(d_lr, rel=1e-3)
    assert (groups[0]["lr"], groups[1]["lr"]) == (g_lr, d_lr)


def test_the_warped_grid_is_g_applied_to_a_regular_grid_of_the_noise_plane():
    game = Stepper(Duel(data="moons", seed=2))
    game.step_both(1e-3, 1e-3, 10)
    warped = game.view().warped
    k, span = gan_steps.NOISE_LINES, gan_steps.Z_SPAN
    assert warped.shape == (k, k, 2)
    axis = np.linspace(-span, span, k)
    for i, j in [(0, 0), (0, k - 1), (k - 1, 0), (3, 7), (k // 2, k // 2)]:
        z = torch.tensor([[axis[j], axis[i]]], dtype=torch.float32)  # row i: z2 fixed, along it z1 rises
        np.testing.assert_allclose(warped[i, j], game.model.G(z).detach().numpy()[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("data", list(gan.DISTRIBUTIONS))
@pytest.mark.parametrize("seed", range(5))
def test_the_first_moves_of_each_player_as_the_page_says(data, seed):
    game = Stepper(Duel(data=data, seed=seed))
    start = game.view()
    assert start.facts.last == "" and start.facts.cosine is None
    # untrained D: its P(real) over the plane stays near 1/2 (0.38 to 0.56 on seeds 0-4), so its calls are barely calls
    assert start.facts.near_blind and 0.35 < start.facts.p_low <= start.facts.p_high < 0.65
    assert (start.facts.p_low, start.facts.p_high) == pytest.approx((start.p.min(), start.p.max()))
    game.step_g(1e-3)
    g = game.view().facts
    assert g.cosine > 0.8 and g.moved > 0.01 and g.map_change == 0  # G's points went along the arrows; D held still
    moves = game.view().fake - start.fake
    assert g.moved == pytest.approx(np.linalg.norm(moves, axis=1).mean(), rel=1e-5)
    game.step_d(1e-3)
    d = game.view().facts
    assert d.moved == 0 and d.cosine is None and d.map_change > 0.01 and d.d_loss < d.d_loss_before
    game.step_both(1e-3, 1e-3, 30)
    trained = game.view().facts  # D has learned: its map spans more than 1/2 ± 0.15
    assert not trained.near_blind and trained.p_high - trained.p_low > 0.4


def test_later_g_steps_need_not_follow_the_arrows():
    """The first G step goes along the arrows (cosine 0.89 on seed 0); twenty G steps later it does not (0.32): a
    weight step moves every point by J·Δθ from a fresh noise batch, and Adam rescales each weight's step."""
    game = Stepper(Duel(seed=0))
    cosines = []
    for _ in range(21):
        game.step_g(1e-3)
        cosines.append(game.view().facts.cosine)
    assert cosines[0] > 0.8 and cosines[-1] < 0.5


def test_ds_scores_are_its_calls_on_the_shown_points():
    game = Stepper(Duel(data="grid", seed=1))
    game.step_both(1e-3, 1e-3, 30)
    view = game.view()
    with torch.no_grad():
        p_real = torch.sigmoid(game.model.D(torch.tensor(view.real)))
        p_fake = torch.sigmoid(game.model.D(torch.tensor(view.fake)))
    assert view.facts.real_right == pytest.approx(float((p_real > 0.5).float().mean()))
    assert view.facts.fake_right == pytest.approx(float((p_fake < 0.5).float().mean()))
    d_loss = float(F.binary_cross_entropy(p_real, torch.ones_like(p_real))
                   + F.binary_cross_entropy(p_fake, torch.zeros_like(p_fake)))
    assert view.facts.d_loss == pytest.approx(d_loss, rel=1e-4)
    curves = game.curves()
    assert len(curves) == 2 * 31 and curves["step"].max() == 60


@pytest.mark.parametrize(("lengths", "scale"), [([0.1, 0.2, 0.05], 2.0), ([3.0, 1.0], 0.1), ([0.0], 1.0), ([], 1.0),
                                                ([0.004], 100.0)])
def test_the_arrows_scale_is_a_round_number_that_keeps_them_short(lengths, scale):
    assert gan_steps.nice_scale(np.array(lengths)) == scale


def test_play_stops_at_the_last_update(monkeypatch):
    monkeypatch.setattr(gan_steps, "MAX_STEPS", 3)
    game = Stepper(Duel())
    game.step_both(1e-3, 1e-3, times=10)
    assert game.done and (game.d_steps, game.g_steps) == (3, 3)
    game.step_g(1e-3)
    assert game.g_steps == 3


@pytest.mark.parametrize(("change", "words"), [({"data": "spiral"}, "Unknown distribution"),
                                               ({"g_loss": "wasserstein"}, "Unknown generator loss"),
                                               ({"seed": -1}, "seed")])
def test_a_bad_game_is_explained(change, words):
    with pytest.raises(ValueError, match=words):
        Duel(**change)


@pytest.mark.parametrize("lr", [0.0, 1.0, float("nan")])
def test_a_bad_learning_rate_is_explained(lr):
    with pytest.raises(ValueError, match="learning rate must be between"):
        Stepper(Duel()).step_d(lr)


def test_the_picture_draws_every_point_arrow_and_grid_line():
    game = Stepper(Duel())
    game.step_both(1e-3, 1e-3, 20)
    view = game.view()
    img = gan_charts.plane_svg(view.p, gan.GRID, gan.BOX, view.real, view.fake, "the game", view.tails,
                               view.arrows * view.facts.arrow_scale, view.warped)
    assert img.startswith('<img alt="the game" src="data:image/svg+xml,')
    img = unquote(img)  # the SVG's text as the browser reads it from the data URL
    assert img.count("<circle") == len(view.real) + len(view.fake) == 2 * gan.SHOWN
    drawn = view.arrows * view.facts.arrow_scale / (gan.BOX[1] - gan.BOX[0]) * gan_charts.SIDE  # in the SVG's units
    assert img.count("<line") == int((np.linalg.norm(drawn, axis=1) >= 1).sum()) > 0
    assert img.count("<polyline") == 2 * gan_steps.NOISE_LINES
    first = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)"', img)
    top, _, _, left = gan_charts.MARGIN
    x1, x2 = view.real[0]  # the first real point, at its place in the plot
    assert float(first.group(1)) == pytest.approx(left + (x1 + 3) / 6 * gan_charts.SIDE, abs=0.06)
    assert float(first.group(2)) == pytest.approx(top + (3 - x2) / 6 * gan_charts.SIDE, abs=0.06)


def test_the_step_benchmark_runs_at_a_tiny_size():
    [figure] = zoo_benchmarks.gan_step(workloads.QUICK, torch.device("cpu"))
    assert figure.name == "zoo.gan_step_s" and 0 < figure.value < 10 and figure.target == "<= 0.3"
