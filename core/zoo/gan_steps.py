"""A 2-D GAN you step one player at a time, GAN Lab style (slide 71; ideas from https://poloclub.github.io/ganlab/).

- `Duel`: the game (real data, G's loss, seed). Changing it starts a new game.
- `Stepper`: the game so far. `step_d` makes one update of D alone, `step_g` one of G alone, `step_both`
  one of each (D first); each takes its learning rate, so a new one goes on from the current weights.
  One Adam holds both players as two parameter groups, each with its own learning rate; a step gives
  gradients to one player only and Adam leaves parameters without a gradient as they are.
- `Stepper.view()`: what the page draws: D's P(real) over the plane, the real points, G's points for a fixed
  noise batch, arrows on some of them (−∂loss/∂point: where G's loss pushes each point), and G's image of a
  regular grid of the noise plane (the warped grid), with the facts its sentence rests on.

G and D are the zoo GAN's own (`core.zoo.gan.GAN`), at its default widths.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from core.data import plane_grid
from core.device import generator as seeded
from core.zoo import gan
from core.zoo.recipe import check_seed

LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)  # each player's learning rates a student may pick (Adam)
BETAS = (0.5, 0.999)  # Adam's, as the zoo GAN trains
NEAR_BLIND = 0.15  # D whose P(real) stays this close to 1/2 over the whole plane hardly tells anything apart
ARROWS_EVERY = 6  # an arrow on every 6th of G's shown points (50 of 300)
NOISE_LINES = 11  # the noise plane's grid: 11 x 11 points over [-Z_SPAN, Z_SPAN]²
Z_SPAN = 2.5  # z ~ N(0, I): ±2.5 holds 99% of each coordinate
ARROW_TARGET = 0.4  # the longest drawn arrow (its 90th percentile) is at most this long in the plane
MAX_STEPS = 5000  # updates of each player: play stops there


@dataclass(frozen=True)
class Duel:
    """The game a Stepper plays: which real data, which loss G minimizes, which seed starts both players."""

    data: str = "ring"
    g_loss: str = "non-saturating"
    seed: int = 0
    code_version: int = 1

    def __post_init__(self) -> None:
        if self.data not in gan.DISTRIBUTIONS:
            raise ValueError(f"Unknown distribution {self.data!r}: choose one of {', '.join(gan.DISTRIBUTIONS)}.")
        if self.g_loss not in gan.G_LOSSES:
            raise ValueError(f"Unknown generator loss {self.g_loss!r}: choose one of {', '.join(gan.G_LOSSES)}.")
        check_seed(self.seed)


def check_lr(lr: float) -> None:
    if not (math.isfinite(lr) and 1e-5 <= lr <= 0.1):
        raise ValueError("Each player's learning rate must be between 0.00001 and 0.1 (Adam).")


def arrows(model: gan.GAN, points: Tensor, g_loss: str) -> Tensor:
    """(N, 2): −∂ℓ/∂x at each of G's points x (N, 2), ℓ the point's own term of G's loss (N × the batch mean's
    gradient): the way G's loss pushes the point, through D (held still)."""
    x = points.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = gan.generator_loss(model.D(x), g_loss) * len(x)
        (grad,) = torch.autograd.grad(loss, x)
    return -grad


def nice_scale(lengths: np.ndarray, target: float = ARROW_TARGET) -> float:
    """The largest of 1, 2, 5 × 10^k that draws the 90th-percentile arrow at most `target` long (1 for none)."""
    typical = float(np.quantile(lengths, 0.9)) if len(lengths) else 0.0
    if not typical > 0:
        return 1.0
    raw = target / typical
    power = 10.0 ** math.floor(math.log10(raw))
    return max(m * power for m in (1, 2, 5) if m * power <= raw)


def noise_grid() -> Tensor:
    """(NOISE_LINES², 2): a regular grid of the noise plane from −Z_SPAN to Z_SPAN on both axes, z1 fastest."""
    axis = torch.linspace(-Z_SPAN, Z_SPAN, NOISE_LINES)
    z2, z1 = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)


@dataclass(frozen=True)
class StepFacts:
    """What the section's sentence says about the game now and about its last update."""

    d_steps: int
    g_steps: int
    last: str  # "D", "G", "both" (D then G) or "" before the first update
    d_loss: float  # on the held-out real points and G's shown points
    g_loss: float  # on G's shown points
    blind_d: float  # each loss once D says 1/2 everywhere
    blind_g: float
    real_right: float  # share of the real points D calls real (P(real) > 1/2)
    fake_right: float  # share of G's points D calls fake
    p_low: float  # D's lowest P(real) over the plane (gan.BOX)
    p_high: float  # and its highest
    near_blind: bool  # P(real) within NEAR_BLIND of 1/2 everywhere: D's calls are barely calls (random weights)
    moved: float  # mean distance G's shown points moved in the last update (0 after a D step)
    cosine: float | None  # of all their moves with all the arrows drawn before G's update (None: G did not move)
    map_change: float  # the largest change of D's P(real) over the plane in the last update (0 after a G step)
    d_loss_before: float  # D's loss on the shown points before the last update
    arrow_scale: float  # the arrows are drawn this many times the gradient
    diverged: bool


@dataclass
class StepView:
    """One frame of the game: everything the page draws of it now."""

    p: np.ndarray  # (GRID²,) D's P(real) at the cells of gan.BOX (x1 fastest, x2 rising)
    real: np.ndarray  # (gan.SHOWN, 2) held-out real points
    fake: np.ndarray  # (gan.SHOWN, 2) G's points for the fixed noise
    tails: np.ndarray  # (A, 2) the points that carry an arrow
    arrows: np.ndarray  # (A, 2) −∂ℓ/∂x at them, not scaled
    warped: np.ndarray  # (NOISE_LINES, NOISE_LINES, 2) G of the noise grid: [i, j] = G(z1 = j-th, z2 = i-th)
    facts: StepFacts


class Stepper:
    """A GAN trained one update of one player at a time. Every update takes a fresh batch: gan.BATCH real
    training points and as many noise draws (one seeded generator), as the zoo GAN's training does."""

    def __init__(self, duel: Duel):
        self.duel = duel
        self.model = gan.GAN(g_loss=duel.g_loss, generator=seeded(duel.seed))
        self.optimizer = torch.optim.Adam([{"params": self.model.G.parameters(), "lr": LRS[2]},
                                           {"params": self.model.D.parameters(), "lr": LRS[2]}], betas=BETAS)
        self.x_train = gan.real(duel.data, gan.N_TRAIN, seed=0)
        self.real = gan.real(duel.data, gan.N_VAL, seed=1)[: gan.SHOWN]
        self.z = gan.noise(gan.SHOWN, duel.seed + 1)  # the shown points' noise, fixed: they move smoothly
        self.cells = plane_grid(gan.BOX, gan.GRID).float()
        self.z_grid = noise_grid()
        self.batches = seeded(duel.seed + 2)
        self.d_steps = self.g_steps = 0
        self.last = ""
        self.rows: list[tuple[int, str, float]] = []  # (update, player, loss)
        self.diverged = False
        self._moved, self._map_change = 0.0, 0.0
        self._cosine: float | None = None
        self._d_before = self._losses()[0]
        self._log()

    @property
    def done(self) -> bool:
        return self.diverged or max(self.d_steps, self.g_steps) >= MAX_STEPS

    @property
    def updates(self) -> int:
        return self.d_steps + self.g_steps

    @torch.no_grad()
    def fakes(self) -> Tensor:
        """(SHOWN, 2) G's points for the fixed noise."""
        return self.model.G(self.z)

    @torch.no_grad()
    def d_map(self) -> Tensor:
        """(GRID²,) D's P(real) over the plane."""
        return torch.sigmoid(self.model.D(self.cells))[:, 0]

    @torch.no_grad()
    def _losses(self) -> tuple[float, float]:
        """(D's loss, G's loss) on the held-out real points and G's shown points."""
        d_real, d_fake = self.model.D(self.real), self.model.D(self.fakes())
        d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        return float(d_loss), float(gan.generator_loss(d_fake, self.duel.g_loss))

    def _batch(self) -> tuple[Tensor, Tensor]:
        pick = torch.randint(len(self.x_train), (gan.BATCH,), generator=self.batches)
        return self.x_train[pick], torch.randn(gan.BATCH, gan.NOISE, generator=self.batches)

    def _update(self, player: int, lr: float, loss: Tensor) -> None:
        """One Adam step of param group `player` (0: G, 1: D) at `lr`; only that player has gradients."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.param_groups[player]["lr"] = lr
        self.optimizer.step()

    def _d_update(self, lr: float) -> None:
        x, z = self._batch()
        with torch.no_grad():
            fake = self.model.G(z)  # G held still: no gradient reaches it
        d_real, d_fake = self.model.D(x), self.model.D(fake)
        loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        self._update(1, lr, loss)
        self.d_steps += 1

    def _g_update(self, lr: float) -> None:
        _, z = self._batch()
        self.model.D.requires_grad_(False)  # D held still: the gradient flows through it to G only
        try:
            loss = gan.generator_loss(self.model.D(self.model.G(z)), self.duel.g_loss)
            self._update(0, lr, loss)
        finally:
            self.model.D.requires_grad_(True)
        self.g_steps += 1

    def _step(self, which: str, d_lr: float, g_lr: float) -> None:
        check_lr(d_lr)
        check_lr(g_lr)
        if self.done:
            return
        self._d_before = self._losses()[0]
        map_before = self.d_map()
        if which in ("D", "both"):
            self._d_update(d_lr)
        before = self.fakes()
        pushed = arrows(self.model, before, self.duel.g_loss)
        if which in ("G", "both"):
            self._g_update(g_lr)
        moves = self.fakes() - before
        self._moved = float(moves.norm(dim=1).mean())
        self._cosine = float(F.cosine_similarity(moves.reshape(1, -1), pushed.reshape(1, -1))) \
            if which != "D" else None
        self._map_change = float((self.d_map() - map_before).abs().max())
        self.last = which
        self._log()

    def step_d(self, d_lr: float) -> None:
        """One update of D alone (G held still)."""
        self._step("D", d_lr, LRS[2])

    def step_g(self, g_lr: float) -> None:
        """One update of G alone (D held still)."""
        self._step("G", LRS[2], g_lr)

    def step_both(self, d_lr: float, g_lr: float, times: int = 1) -> None:
        """One update of D, then one of G, `times` times (the facts are about the last pair)."""
        for _ in range(times):
            self._step("both", d_lr, g_lr)

    def _log(self) -> None:
        d_loss, g_loss = self._losses()
        self.rows += [(self.updates, "discriminator", d_loss), (self.updates, "generator", g_loss)]
        self.diverged = self.diverged or not (math.isfinite(d_loss) and math.isfinite(g_loss))

    def curves(self) -> pd.DataFrame:
        """step (updates of either player so far), player, loss: for core.charts.gan.game_losses."""
        return pd.DataFrame(self.rows, columns=["step", "player", "loss"])

    def view(self) -> StepView:
        fake = self.fakes()
        tails = fake[::ARROWS_EVERY]
        pushed = arrows(self.model, tails, self.duel.g_loss).numpy()
        with torch.no_grad():
            p_real, p_fake = torch.sigmoid(self.model.D(self.real)), torch.sigmoid(self.model.D(fake))
            warped = self.model.G(self.z_grid).reshape(NOISE_LINES, NOISE_LINES, 2)
        plane = self.d_map()
        d_loss, g_loss = self.rows[-2][2], self.rows[-1][2]
        refs = gan.references(self.duel.g_loss)
        facts = StepFacts(
            d_steps=self.d_steps, g_steps=self.g_steps, last=self.last, d_loss=d_loss, g_loss=g_loss,
            blind_d=refs["discriminator"], blind_g=refs["generator"],
            real_right=float((p_real > 0.5).float().mean()), fake_right=float((p_fake < 0.5).float().mean()),
            p_low=float(plane.min()), p_high=float(plane.max()),
            near_blind=bool((plane - 0.5).abs().max() < NEAR_BLIND),
            moved=self._moved, cosine=self._cosine, map_change=self._map_change, d_loss_before=self._d_before,
            arrow_scale=nice_scale(np.linalg.norm(pushed, axis=1)), diverged=self.diverged)
        return StepView(plane.numpy(), self.real.numpy(), fake.numpy(), tails.numpy(), pushed,
                        warped.numpy(), facts)
