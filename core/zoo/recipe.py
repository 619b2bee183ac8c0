"""What every zoo recipe checks about its training: epochs, Adam's learning rate, batch size and seed.

Each architecture's `Recipe` validates its own architecture fields and calls `check_training` for the
rest, so the sentences a student reads for a bad setting are the same on every zoo page.
"""
from __future__ import annotations

from core.training import TrainConfig

# The seeds a student can train a zoo model with: few, so that a class shares each model through the cache
# instead of every student training a new one (a link with any seed started a new 35-144 s training).
SEEDS = 5
SEED_TEXT = f"Pick a seed from 0 to {SEEDS - 1}: a class shares the models trained with these, each trained once."


def check_training(epochs: int, max_epochs: int, lr: float, batch_size: int, seed: int, items: str = "samples") -> None:
    """A ValueError with a sentence for the first setting out of range."""
    if not 1 <= epochs <= max_epochs:
        raise ValueError(f"Train for between 1 and {max_epochs} epochs.")
    if not 1e-4 <= lr <= 0.1:
        raise ValueError("The learning rate must be between 0.0001 and 0.1 (Adam).")
    if not 1 <= batch_size <= 256:
        raise ValueError(f"The batch size must be between 1 and 256 {items}.")
    check_seed(seed)


def check_seed(seed: int) -> None:
    """A ValueError unless `seed` is one of the SEEDS a class shares."""
    if not 0 <= seed < SEEDS:
        raise ValueError(SEED_TEXT)


def adam(epochs: int, batch_size: int, lr: float, seed: int) -> TrainConfig:
    """The trainer's settings every zoo model uses: Adam, mini-batches, seeded shuffling and init."""
    return TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, optimizer="adam", seed=seed)


def fixed_lr_remedy(lr: float, instead: str, rate: str = "learning rate") -> str:
    """The end of a blown-up loss's message (`core.training.fit`'s `remedy`) on a page whose learning rate the
    student cannot set: the rate it trains at, and `instead`, what its controls can change."""
    return f"This page trains at a fixed {rate} of {lr:g}: {instead}."


def untrained(kept_epoch: dict[str, int]) -> tuple[str, ...]:
    """The networks that kept the weights of epoch 0 (their loss blew up in the first epoch): never trained."""
    return tuple(name for name, epoch in kept_epoch.items() if epoch == 0)
