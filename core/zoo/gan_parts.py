"""The pieces of the 2-D GAN (slide 71): the real distributions, the two players, and two ways to score a generator.

* `real(name, n, seed)`: points of a ring of 8 Gaussians, a 3 x 3 grid of Gaussians or two moons, (n, 2).
* `GAN`: a generator G (noise z -> a point) and a discriminator D (a point -> "real?" logit) in one
  nn.Module, so that the app's one trainer (`core.training.fit`) trains both with one optimizer.
* `energy_distance(a, b)` and `modes_covered(samples, name)`: how close the generated points are to
  the real ones, as one number, and how many of the Gaussians the generator reaches.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import make_moons
from torch import Tensor, nn
from torch.func import functional_call

from core.device import generator as seeded

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
