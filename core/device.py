"""Device choice (CUDA, then Apple MPS, then CPU) and seeded generators, so every run is reproducible."""
from __future__ import annotations

import os

import torch


def pick_device(prefer: str | None = None) -> torch.device:
    """The fastest device here, or `prefer` ("cpu", "cuda", "mps") when it is available.

    The environment variable LESSON_DEVICE overrides the automatic choice (tests and
    benchmarks set it to "cpu" to compare like with like).
    """
    prefer = prefer or os.environ.get("LESSON_DEVICE")
    if prefer:
        if prefer == "cuda" and not torch.cuda.is_available():
            raise ValueError("CUDA was asked for, but no CUDA GPU is available here.")
        if prefer == "mps" and not torch.backends.mps.is_available():
            raise ValueError("Apple MPS was asked for, but it is not available here.")
        if prefer not in ("cpu", "cuda", "mps"):
            raise ValueError(f"Unknown device {prefer!r}: choose cpu, cuda or mps.")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(device: torch.device) -> str:
    """A short human label for the device badge, e.g. 'GPU: NVIDIA H100' or 'CPU (2 cores)'."""
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "GPU: Apple MPS"
    return f"CPU ({os.cpu_count() or 1} cores)"


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with `seed`: how the app seeds everything (weights, shuffling, dropout).

    Each config carries its seed and each experiment draws from its own generators, never from a
    global state another session could touch: same config, same numbers, in any order.
    """
    if not 0 <= seed < 2**31:
        raise ValueError("The seed must be a whole number between 0 and 2,147,483,647.")
    return torch.Generator().manual_seed(seed)
