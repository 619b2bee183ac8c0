"""The GAN of the zoo (slide 71): a generator against a discriminator on 2-D data, trained by the one trainer.

- The real data: `real(name, n, seed)`, points of a ring of 8 Gaussians, a 3 x 3 grid of Gaussians or two moons.
- The players: `GAN`, a generator G (noise z -> a point) and a discriminator D (a point -> "real?" logit) in one
  nn.Module, so that the app's one trainer (`core.training.fit`) trains both with one optimizer.
- The scores: `energy_distance` (how close the generated points are to the real ones, in one number),
  `modes_covered` (how many of the Gaussians the generator reaches) and `spread`.
- `Recipe`, `build(recipe)`, `train(recipe, on_progress) -> Trained`: train it (one Adam over both players) and
  record checkpoints as a `Game`: the generated points, D's map of the plane, both losses, the energy distance
  to the real data and the modes covered. `on_progress` gets the `Trained` so far (its game up to now).
- `shipped(asset) -> Trained`: a shipped file in `assets/zoo/` read back (no training): its final weights,
  plus the checkpoints recorded while it was made (in its meta, as plain lists).
- `SHIPPED`: the makers of those files (`python -m core.zoo --only gan_ring ...`): one balanced run per
  distribution, and one on the ring whose discriminator is too small, which collapses.

What the page says about a game rests on `Game.facts(step)` (one checkpoint and its run); the
experiments the page runs on trained games are in `core.zoo.gan_lab`.

The game (Goodfellow et al. 2014): in the minimax game G minimizes the very value D maximizes,
V = E log D(x) + E log(1 − D(G(z))), a zero-sum game. In practice G minimizes −log D(G(z)) instead
(the "non-saturating" loss, proposed in the same paper): strong gradients while D is winning, the
same fixed point (D = 1/2 everywhere once G's points match the data), but the game is then no longer
zero-sum (Goodfellow 2016, NIPS tutorial, arXiv:1701.00160, section 3.2.3).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from typing import cast

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.datasets import make_moons
from torch import Tensor, nn
from torch.func import functional_call

from core.data import Dataset, plane_grid
from core.device import generator as seeded
from core.progress import Progress, report
from core.training import Snapshot, TrainConfig, fit
from core.zoo import weights
from core.zoo.recipe import check_seed

DISTRIBUTIONS = {"ring": "Ring of 8 Gaussians", "grid": "Grid of 9 Gaussians (3 × 3)", "moons": "Two moons"}
SPREAD = 0.1  # standard deviation of each Gaussian (ring and grid)
RADIUS = 2.0  # the ring's radius
SPACING = 1.5  # distance between neighbouring centres of the grid
BOX = (-3.0, 3.0, -3.0, 3.0)  # x1_lo, x1_hi, x2_lo, x2_hi: the part of the plane every picture shows
NOISE = 2  # dimensions of the generator's input z ~ N(0, I)
G_LOSSES = {
    "non-saturating": "non-saturating: G minimizes −log D(G(z))",
    "minimax": "minimax (the slide's game): G minimizes log(1 − D(G(z)))",
}
COVERED_SHARE = 0.1  # a mode counts as covered when it gets at least 10% of its fair share of the samples
N_TRAIN, N_VAL = 3200, 512  # real points: what D trains on, and a held-out set every score compares with
BATCH = 128  # real points per step (G makes as many)
STEPS_PER_EPOCH = N_TRAIN // BATCH  # 25: a checkpoint (and a redraw of live training) after every epoch
PICTURES = 16  # checkpoints that keep their pictures (plus the start); the curves keep every checkpoint
GRID = 40  # D's map: GRID x GRID cells over BOX
SHOWN = 300  # generated (and real) points drawn per picture
MEASURED = 2000  # generated points behind the mode counts and the spread
ENERGY = 1000  # of those, behind the energy distance (it compares all pairs: 1000 x 512 and 1000 x 1000)
STEPS = (800, 1600, 3200, 4800)  # training budgets a student may pick
WIDTHS = (4, 8, 16, 32, 64, 128)
LN2 = math.log(2)  # D = 1/2 everywhere (G has won): D's loss is 2 ln 2, G's is ln 2 (minimax: −ln 2)
BLIND_TOLERANCE = 0.05  # a loss this close to its D = 1/2 value counts as "at" it
CENTRAL = 0.5  # G's points start "near the middle" when their centre lies closer than this to (0, 0)
FLAT_MAP = 0.1  # D's map spanning less P(real) than this barely tells any point from another


# --- the real data, the players and the scores -------------------------------------------------------------------
def centres(name: str) -> Tensor | None:
    """(M, 2) centres of the Gaussians of `name` (None for the moons, which have no separate modes)."""
    if name == "ring":
        angle = torch.arange(8) * 2 * math.pi / 8
        return RADIUS * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    if name == "grid":
        axis = (torch.arange(3) - 1.0) * SPACING
        return torch.cartesian_prod(axis, axis)
    if name == "moons":
        return None
    raise ValueError(f"Unknown distribution {name!r}: choose one of {', '.join(DISTRIBUTIONS)}.")


def real(name: str, n: int, seed: int = 0) -> Tensor:
    """(n, 2) float32 points of the real distribution `name`, the same for the same seed."""
    modes = centres(name)
    if modes is None:  # two moons, centred and stretched to the ring's size
        x, _ = make_moons(n, noise=0.06, random_state=seed)
        return torch.as_tensor((x - (0.5, 0.25)) * 1.6, dtype=torch.float32)
    g = seeded(seed)
    pick = torch.randint(len(modes), (n,), generator=g)  # which Gaussian each point comes from
    return (modes[pick] + SPREAD * torch.randn(n, 2, generator=g)).float()


def _mlp(sizes: tuple[int, ...], g: torch.Generator) -> nn.Sequential:
    """Linear layers with LeakyReLU(0.2) between them, initialized as nn.Linear does but from `g`."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.kaiming_uniform_(linear.weight, a=math.sqrt(5), generator=g)
        nn.init.uniform_(linear.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=g)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))  # leaky: a unit that is off still passes some gradient to G
    return nn.Sequential(*layers)


class GAN(nn.Module):
    """Generator and discriminator, trained together by one optimizer through the app's trainer.

    G: z (N, 2) -> g_width -> g_width -> a point (N, 2).  D: a point (N, 2) -> d_width -> d_width -> logit (N, 1).

    `forward(x_real)` returns D's logits on the real batch: the trainer's BCE with target 1 is D's
    loss on real data. While training it also sets `self.aux_loss`, which the trainer adds:
    D's loss on generated points (target 0) plus G's loss. One backward pass then gives D the
    gradient of its loss and G the gradient of its own, so one Adam step moves both players at once.
    """

    def __init__(self, g_width: int = 64, d_width: int = 128, g_loss: str = "non-saturating",
                 generator: torch.Generator | None = None):
        super().__init__()
        if g_loss not in G_LOSSES:
            raise ValueError(f"Unknown generator loss {g_loss!r}: choose one of {', '.join(G_LOSSES)}.")
        g = generator if generator is not None else seeded(0)
        self.G = _mlp((NOISE, g_width, g_width, 2), g)
        self.D = _mlp((2, d_width, d_width, 1), g)
        self.g_loss = g_loss
        self.aux_loss: Tensor | None = None

    def forward(self, x_real: Tensor) -> Tensor:  # (N, 2) -> (N, 1) D's logits
        self.aux_loss = None
        if not self.training:
            return self.D(x_real)
        n = len(x_real)
        fake = self.G(torch.randn(n, NOISE, device=x_real.device))  # (N, 2): fresh noise every step
        # D's turn: real and generated points in one pass; detach() holds G still, so this term moves D only.
        logits = self.D(torch.cat([x_real, fake.detach()]))  # (2N, 1)
        # G's turn: the same D with its weights detached (held still), so this term moves G only.
        frozen = {name: p.detach() for name, p in self.D.named_parameters()}
        g_view = functional_call(self.D, frozen, (fake,))  # (N, 1)
        d_fake = logits[n:]
        d_loss_fake = F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        self.aux_loss = d_loss_fake + generator_loss(g_view, self.g_loss)
        return logits[:n]

    @torch.no_grad()
    def sample(self, z: Tensor) -> Tensor:
        """(N, 2) generated points for the noise z (N, 2)."""
        return self.G(z)


def generator_loss(logits: Tensor, kind: str) -> Tensor:
    """G's loss from D's logits on generated points.

    minimax: mean log(1 − D(G(z))), the slide's game, = −BCE(logits, 0); it is flat where D is sure
    the points are fake (D ≈ 0), so a G that starts badly learns slowly.
    non-saturating: mean −log D(G(z)) = BCE(logits, 1): the same fixed point, strong gradients early.
    """
    if kind == "minimax":
        return -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def energy_distance(a: Tensor, b: Tensor) -> float:
    """2·E|A − B| − E|A − A'| − E|B − B'| for samples a (N, 2) and b (M, 2): 0 for one distribution.

    Euclidean distances between all pairs (torch.cdist); it is never negative in expectation and
    grows as the two clouds drift apart, so it scores "how real do the generated points look" in one number.
    """
    return float(2 * torch.cdist(a, b).mean() - torch.cdist(a, a).mean() - torch.cdist(b, b).mean())


def spread(points: Tensor) -> float:
    """The mean distance of the points (N, 2) from their own centre: about 2 for the ring, near 0 for a collapsed G."""
    return float((points - points.mean(dim=0)).norm(dim=1).mean())


def mode_counts(samples: Tensor, name: str) -> np.ndarray | None:
    """How many samples lie within 3 standard deviations of each Gaussian's centre, (M,) (None for the moons)."""
    modes = centres(name)
    if modes is None:
        return None
    distance, nearest = torch.cdist(samples, modes).min(dim=1)
    return torch.bincount(nearest[distance < 3 * SPREAD], minlength=len(modes)).numpy()


def modes_covered(samples: Tensor, name: str) -> int | None:
    """Gaussians with at least COVERED_SHARE of their fair share (N / M) of the samples within 3 σ."""
    counts = mode_counts(samples, name)
    if counts is None:
        return None
    return int((counts >= COVERED_SHARE * len(samples) / len(counts)).sum())


def n_modes(name: str) -> int | None:
    modes = centres(name)
    return None if modes is None else len(modes)


# --- the recipe and its record ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """A GAN and how it trains: Adam (β1 = 0.5, as GANs usually use) over both players, batches of 128."""

    data: str = "ring"
    g_width: int = 64  # units per hidden layer of G (two hidden layers)
    d_width: int = 128  # units per hidden layer of D (two hidden layers)
    g_loss: str = "non-saturating"
    lr: float = 1e-3
    steps: int = 3200
    seed: int = 0
    code_version: int = 1  # bump when results change; it is part of the cache key

    def __post_init__(self) -> None:
        if self.data not in DISTRIBUTIONS:
            raise ValueError(f"Unknown distribution {self.data!r}: choose one of {', '.join(DISTRIBUTIONS)}.")
        if self.g_width not in WIDTHS or self.d_width not in WIDTHS:
            raise ValueError(f"Each player's hidden layers have one of these widths: {', '.join(map(str, WIDTHS))}.")
        if self.g_loss not in G_LOSSES:
            raise ValueError(f"Unknown generator loss {self.g_loss!r}: choose one of {', '.join(G_LOSSES)}.")
        if not 1e-5 <= self.lr <= 0.1:
            raise ValueError("The learning rate must be between 0.00001 and 0.1 (Adam).")
        if not STEPS_PER_EPOCH <= self.steps <= max(STEPS) or self.steps % STEPS_PER_EPOCH:
            raise ValueError(f"Train for a multiple of {STEPS_PER_EPOCH} steps, at most {max(STEPS):,}.")
        check_seed(self.seed)

    def train_config(self) -> TrainConfig:
        return TrainConfig(epochs=self.steps // STEPS_PER_EPOCH, batch_size=BATCH, lr=self.lr, optimizer="adam",
                           optimizer_kwargs=(("betas", (0.5, 0.999)), ("fused", True)), scheduler="CosineAnnealingLR",
                           seed=self.seed)

    def build(self, g: torch.Generator | None = None) -> GAN:
        return GAN(self.g_width, self.d_width, self.g_loss, g)



@dataclass
class Game:
    """A GAN's training as tidy tables: pictures at some checkpoints, losses and scores at all of them."""

    recipe: Recipe
    samples: pd.DataFrame  # step, x1, x2: generated points (the same noise z at every checkpoint)
    maps: pd.DataFrame  # step, x1, x2, p: D's P(real) at each cell centre of the grid
    scores: pd.DataFrame  # step, discriminator, generator (their losses), energy distance, modes covered, spread,
    #                       D(real), D(fake) (D's mean P(real) for real and for generated points)
    real: pd.DataFrame  # x1, x2: held-out real points, as drawn
    message: str  # what the trainer had to say (a blown-up loss), else ""
    shipped: bool
    seconds: float

    @property
    def curves(self) -> pd.DataFrame:
        """step, player ("discriminator" / "generator"), loss: both losses in long form, for one chart."""
        return self.scores.melt("step", ["discriminator", "generator"], var_name="player", value_name="loss")

    @property
    def real_spread(self) -> float:
        """The real points' mean distance from their centre (compare the scores' "spread")."""
        return spread(torch.tensor(self.real[["x1", "x2"]].to_numpy()))

    @property
    def steps(self) -> list[int]:
        """The checkpoints that have pictures."""
        return sorted(self.maps["step"].unique().tolist())

    @property
    def last_step(self) -> int:
        """The newest checkpoint with a picture (the end of training, or the newest one of a live part)."""
        return self.steps[-1]

    def picture(self, step: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(D's map, G's points) at the checkpoint `step`."""
        return self.maps[self.maps.step == step], self.samples[self.samples.step == step]

    def at(self, step: int) -> pd.Series:
        """The scores row of checkpoint `step`."""
        return self.scores.set_index("step").loc[step]

    def centre(self, step: int) -> np.ndarray:
        """(2,) the mean of G's drawn points at the pictured checkpoint `step`."""
        return self.samples[self.samples.step == step][["x1", "x2"]].to_numpy().mean(axis=0)

    def facts(self, step: int | None = None) -> CheckpointFacts:
        """What the page says about checkpoint `step` (None: the last one) and about the whole run."""
        step = self.last_step if step is None else step
        now, start, end = self.at(step), self.scores.iloc[0], self.scores.iloc[-1]
        refs, total = references(self.recipe.g_loss), n_modes(self.recipe.data)
        gap = float(end["discriminator"]) - refs["discriminator"]
        offset = float(np.linalg.norm(self.centre(int(start["step"]))))
        return CheckpointFacts(
            step=int(step), at_start=int(step) == int(start["step"]), steps_total=int(end["step"]),
            d_real=float(now["D(real)"]), d_fake=float(now["D(fake)"]),
            d_real_end=float(end["D(real)"]), d_fake_end=float(end["D(fake)"]),
            energy_start=float(start["energy distance"]), energy_now=float(now["energy distance"]),
            energy_end=float(end["energy distance"]),
            energy_change=float(now["energy distance"]) - float(start["energy distance"]),
            spread_start=float(start["spread"]), spread_now=float(now["spread"]), spread_end=float(end["spread"]),
            real_spread=self.real_spread, start_blob=float(start["spread"]) < self.real_spread / 4,
            start_offset=offset, start_central=offset < CENTRAL,
            modes_total=total or 0, modes_now=int(now["modes covered"]) if total else 0,
            modes_end=int(end["modes covered"]) if total else 0,
            modes_missing=total - int(end["modes covered"]) if total else 0,
            piled_end=float(end["spread"]) < self.real_spread / 4,
            d_loss_now=float(now["discriminator"]), g_loss_now=float(now["generator"]),
            d_loss_end=float(end["discriminator"]), g_loss_end=float(end["generator"]),
            blind_d=refs["discriminator"], blind_g=refs["generator"], g_loss_kind=self.recipe.g_loss,
            zero_sum=self.recipe.g_loss == "minimax",
            d_vs_blind="at" if abs(gap) <= BLIND_TOLERANCE else ("below" if gap < 0 else "above"),
            seconds=self.seconds, lr=self.recipe.lr, g_width=self.recipe.g_width, d_width=self.recipe.d_width,
            g_smallest=self.recipe.g_width == min(WIDTHS), d_smallest=self.recipe.d_width == min(WIDTHS))


@dataclass(frozen=True)
class CheckpointFacts:
    """The numbers behind the sentences about one game: at checkpoint `step` ("now"), at the start and at the end.

    `blind_d` / `blind_g`: each loss when D says 1/2 to every point (the chart's dashed lines);
    `d_vs_blind`: where D's final loss ends against its line ("below": D still tells a little,
    "at": within BLIND_TOLERANCE, "above": worse than saying 1/2). `start_blob`: G's points start
    within a quarter of the real points' spread; `piled_end`: they end so. `modes_*` are 0 for data
    without separate modes (`modes_total` 0: the moons).
    """

    step: int
    at_start: bool
    steps_total: int
    d_real: float
    d_fake: float
    d_real_end: float
    d_fake_end: float
    energy_start: float
    energy_now: float
    energy_end: float
    energy_change: float
    spread_start: float
    spread_now: float
    spread_end: float
    real_spread: float
    start_blob: bool
    start_offset: float  # how far G's first points' centre lies from (0, 0)
    start_central: bool  # less than CENTRAL from it
    modes_total: int
    modes_now: int
    modes_end: int
    modes_missing: int  # modes_total - modes_end
    piled_end: bool
    d_loss_now: float
    g_loss_now: float
    d_loss_end: float
    g_loss_end: float
    blind_d: float
    blind_g: float
    g_loss_kind: str
    zero_sum: bool  # only the minimax loss makes the game zero-sum (see the module's docstring)
    d_vs_blind: str
    seconds: float
    lr: float
    g_width: int
    d_width: int
    g_smallest: bool
    d_smallest: bool



# --- training and its checkpoints ---------------------------------------------------------------------------------
def dataset(name: str) -> Dataset:
    """The real points as the trainer's Dataset: y = 1 ("real") for each, BCE on D's single output."""
    x, x_val = real(name, N_TRAIN, seed=0), real(name, N_VAL, seed=1)
    ones = torch.ones(N_TRAIN, dtype=torch.int64)
    return Dataset(name, x, ones, x_val, torch.ones(N_VAL, dtype=torch.int64), 2, ("x1", "x2"), ("fake", "real"))


def noise(n: int, seed: int = 0) -> Tensor:
    """(n, NOISE) draws of z ~ N(0, I): what G takes."""
    return torch.randn(n, NOISE, generator=seeded(seed))


class _Recorder:
    """Turns the live GAN into checkpoint rows; the noise and the grid are fixed, so pictures move smoothly."""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self.real = real(recipe.data, N_VAL, seed=1)  # (N_VAL, 2) the held-out real points
        self.z = noise(MEASURED, recipe.seed + 1)  # (MEASURED, 2)
        self.grid = plane_grid(BOX, GRID).float()  # (GRID * GRID, 2)
        self.samples: list[pd.DataFrame] = []
        self.maps: list[pd.DataFrame] = []
        self.rows: list[dict] = []
        self.newest: tuple[pd.DataFrame, pd.DataFrame] | None = None  # (samples, map) of the newest picture

    @torch.no_grad()
    def record(self, step: int, gan: GAN, keep: bool, draw: bool = False) -> None:
        """Score the GAN at `step`; draw its picture if it is kept (or `draw`: the newest one for a live redraw)."""
        gan = gan.cpu().eval()
        fake = gan.G(self.z)  # (MEASURED, 2)
        d_real, d_fake = gan.D(self.real), gan.D(fake[:N_VAL])  # (N_VAL, 1) logits each
        d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
            F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        self.rows.append({
            "step": step, "discriminator": float(d_loss),
            "generator": float(generator_loss(d_fake, self.recipe.g_loss)),
            "energy distance": energy_distance(fake[:ENERGY], self.real),
            "modes covered": modes_covered(fake, self.recipe.data),
            "spread": spread(fake), "D(real)": float(torch.sigmoid(d_real).mean()),
            "D(fake)": float(torch.sigmoid(d_fake).mean()),
        })
        if keep or draw:
            shown = fake[:SHOWN].double().numpy()
            p = torch.sigmoid(gan.D(self.grid))[:, 0].double().numpy()  # (GRID * GRID,) P(real)
            cells = self.grid.double().numpy()
            self.newest = (pd.DataFrame({"step": step, "x1": shown[:, 0], "x2": shown[:, 1]}),
                           pd.DataFrame({"step": step, "x1": cells[:, 0], "x2": cells[:, 1], "p": p}))
            if keep:
                self.samples.append(self.newest[0])
                self.maps.append(self.newest[1])

    def cut(self, end: int) -> None:
        """Forget the checkpoints from step `end` on (the run's loss blew up after `end`; they are drawn again)."""
        self.rows = [r for r in self.rows if r["step"] < end]
        self.samples = [f for f in self.samples if f["step"].iloc[0] < end]
        self.maps = [f for f in self.maps if f["step"].iloc[0] < end]

    def game(self, message: str = "", newest_only: bool = False) -> Game:
        """The checkpoints so far as a Game (newest_only: only the newest picture, for a live redraw)."""
        shown = self.real[:SHOWN].double().numpy()
        samples, maps = self.newest if newest_only and self.newest else (pd.concat(self.samples, ignore_index=True),
                                                                         pd.concat(self.maps, ignore_index=True))
        return Game(self.recipe, samples, maps, pd.DataFrame(self.rows),
                    pd.DataFrame({"x1": shown[:, 0], "x2": shown[:, 1]}), message, False, 0.0)


def references(g_loss: str) -> dict[str, float]:
    """Each player's loss once D cannot tell real from generated (D = 1/2 everywhere): 2 ln 2 and ±ln 2."""
    return {"discriminator": 2 * LN2, "generator": -LN2 if g_loss == "minimax" else LN2}


def picture_every(recipe: Recipe) -> int:
    """Checkpoints between two kept pictures: at most PICTURES pictures after the start."""
    return math.ceil(recipe.steps // STEPS_PER_EPOCH / PICTURES)



@dataclass
class Trained:
    """A trained GAN: its recipe, its final weights (eval mode, gradients off) and the game recorded on the way."""

    recipe: Recipe
    model: GAN
    game: Game
    asset: str | None = None  # the shipped file it was read from (None: trained here)

    @property
    def shipped(self) -> bool:
        return self.asset is not None


# CPU seconds measured on the app's 2-core machine with one torch thread (time.process_time()
# around train(Recipe(...)) with a progress callback, 2026-12-03): what a run alone on a free core takes.
# 800 steps: 2.21 s with 4 units in G and D, 3.22 s with 64 and 128, 3.52 s with 128 and 128: 2.8 ms a
# step plus 5.5 µs per hidden unit of G and D.
STEP_SECONDS = (2.8e-3, 5.5e-6)


def expected_seconds(recipe: Recipe) -> float:
    """Training time of `recipe` on a free CPU core, scaled from measured runs by steps and widths."""
    base, per_unit = STEP_SECONDS
    return recipe.steps * (base + per_unit * (recipe.g_width + recipe.d_width))


def build(recipe: Recipe, g: torch.Generator | None = None) -> GAN:
    """The untrained GAN of `recipe` (initialized from `g`, else from seed 0)."""
    return recipe.build(g)


def train(recipe: Recipe, on_progress: Progress[Trained] | None = None, device: torch.device | None = None
          ) -> Trained:
    """Train the GAN of `recipe` through `core.training.fit` and record a checkpoint after every epoch.

    `on_progress(fraction, the Trained so far)`: its game's last picture is the newest checkpoint, its
    curves run up to now. Training runs on the CPU unless a device is given (the nets are tiny).
    """
    start = time.perf_counter()
    recorder = _Recorder(recipe)
    recorder.record(0, recipe.build(seeded(recipe.seed)), keep=True)  # the trainer starts from these weights
    every = picture_every(recipe)
    epochs = recipe.steps // STEPS_PER_EPOCH

    def checkpoint(fraction: float, snap: Snapshot) -> None:
        gan = cast(GAN, snap.modules()[0])
        recorder.record(snap.epoch * STEPS_PER_EPOCH, gan, keep=snap.epoch == epochs or snap.epoch % every == 0,
                        draw=on_progress is not None)
        report(on_progress, fraction, Trained(recipe, gan, recorder.game(newest_only=True)))

    result = fit(recipe.build, dataset(recipe.data), recipe.train_config(), device or torch.device("cpu"),
                 on_progress=checkpoint, progress_every=1, name="GAN")
    gan = weights.into(recipe.build(), {k: torch.as_tensor(v) for k, v in result.states["GAN"].items()})
    end = result.last_epoch["GAN"] * STEPS_PER_EPOCH
    if end < recipe.steps:  # the loss blew up: the trainer kept the weights of the last good epoch, show those
        recorder.cut(end)
        recorder.record(end, gan, keep=True)
    game = recorder.game(result.messages.get("GAN", ""))
    game.seconds = time.perf_counter() - start
    return Trained(recipe, gan, game)


# --- shipped runs ----------------------------------------------------------------------------------------------------
SHIPPED_RECIPES = {
    "gan_ring": Recipe("ring"),
    "gan_grid": Recipe("grid"),
    "gan_moons": Recipe("moons"),
    "gan_ring_collapse": Recipe("ring", d_width=4),  # D too small to penalize a pile-up: G collapses and hops
}
DEFAULT_ASSET = "gan_ring"


def asset(data: str) -> str:
    """The shipped balanced game on the distribution `data`."""
    if data not in DISTRIBUTIONS:
        raise ValueError(f"Unknown distribution {data!r}: choose one of {', '.join(DISTRIBUTIONS)}.")
    return f"gan_{data}"

def _record(game: Game) -> dict:
    """A game's tables as plain lists for a weight file's meta (`_unrecord` reads them back).

    Compact, as meta is pickled number by number: generated points in thousandths (ints), D's
    map in percent (ints), SHOWN points per kept checkpoint in the order of `steps`.
    """
    def columns(frame: pd.DataFrame, digits: int) -> dict[str, list]:
        return {c: [None if pd.isna(v) else round(float(v), digits) for v in frame[c]] for c in frame.columns}

    return {"steps": game.steps,
            "samples_milli": {c: [round(1000 * float(v)) for v in game.samples[c]] for c in ("x1", "x2")},
            "maps_percent": [round(100 * float(v)) for v in game.maps["p"]],
            "scores": columns(game.scores, 5), "real": columns(game.real, 3), "message": game.message}


def _unrecord(recipe: Recipe, record: dict, seconds: float) -> Game:
    cells = plane_grid(BOX, GRID).double().numpy()  # (GRID * GRID, 2), as the maps were recorded
    steps = record["steps"]
    maps = pd.DataFrame({"step": np.repeat(steps, len(cells)), "x1": np.tile(cells[:, 0], len(steps)),
                         "x2": np.tile(cells[:, 1], len(steps)), "p": np.asarray(record["maps_percent"]) / 100})
    xy = record["samples_milli"]
    samples = pd.DataFrame({"step": np.repeat(steps, len(xy["x1"]) // len(steps)),
                            "x1": np.asarray(xy["x1"]) / 1000, "x2": np.asarray(xy["x2"]) / 1000})
    scores = pd.DataFrame(record["scores"]).astype({"step": int})
    return Game(recipe, samples, maps, scores, pd.DataFrame(record["real"]), record["message"], True, seconds)



def make(asset: str, quick: bool) -> tuple[GAN, dict]:
    """Train a shipped recipe (quick: 50 steps, for the tests) and pack its checkpoints into the meta."""
    recipe = SHIPPED_RECIPES[asset]
    recipe = replace(recipe, steps=2 * STEPS_PER_EPOCH) if quick else recipe
    trained = train(recipe)
    game, gan = trained.game, trained.model
    end = game.scores.iloc[-1]
    return gan, {
        "task": f"2-D GAN: {DISTRIBUTIONS[recipe.data]} (G {recipe.g_width}, D {recipe.d_width} units per layer)",
        "recipe": asdict(recipe),
        "parameters": sum(p.numel() for p in gan.parameters()),
        "energy_distance_start": round(float(game.scores["energy distance"].iloc[0]), 4),
        "energy_distance_end": round(float(end["energy distance"]), 4),
        **({} if n_modes(recipe.data) is None else
           {"modes_covered": int(end["modes covered"]), "gaussians": n_modes(recipe.data)}),
        "record": _record(game),
    }


SHIPPED = {asset: (lambda quick, asset=asset: make(asset, quick)) for asset in SHIPPED_RECIPES}


def shipped(asset: str = DEFAULT_ASSET) -> Trained:
    """The shipped game `asset`: its final weights and its recorded checkpoints, read from its file (no training)."""
    if asset not in SHIPPED_RECIPES:
        raise ValueError(f"No shipped GAN called {asset!r}: choose one of {', '.join(SHIPPED_RECIPES)}.")
    state, meta = weights.load(asset)
    recipe = Recipe(**meta["recipe"])
    game = _unrecord(recipe, meta["record"], float(meta.get("seconds_to_make") or 0))
    return Trained(recipe, weights.into(recipe.build(), state), game, asset)
