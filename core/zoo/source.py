"""Where a zoo model comes from: the one resolver every zoo view goes through.

Each architecture module `core/zoo/<arch>.py` exposes the same four things:

- `Recipe`: a frozen dataclass of everything that decides the trained weights (seed included);
- `build(recipe)`: its untrained network(s);
- `train(recipe, on_progress=None) -> Trained`: trained through `core.training`;
- `shipped() -> Trained`: the small trained model in `assets/zoo/`, read back without training.

`resolve(Source(arch, recipe))` returns the shipped model when `recipe` is None and trains `recipe`
otherwise. An architecture that ships several models names one by `asset`
(`Source("gan", asset="gan_grid")`, read by `shipped(asset)`); without one, `shipped()` gives its
default. Core keeps no model between calls: ui/zoo.py keeps the models in the app's shared model cache,
so a student's model is trained once, visibly, and a view is only ever handed a model
(`view(cfg, trained)`), never fetches or trains one itself.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from core.progress import Progress

ARCHITECTURES = ("cnn", "autoencoders", "fcn", "recurrent", "transformer", "gan")


@dataclass(frozen=True)
class Source:
    """A zoo model: the architecture, and the student's recipe (None: the shipped weights)."""

    arch: str
    recipe: Any = None
    asset: str | None = None  # which shipped file, for an architecture that ships several (None: its default)

    def __post_init__(self) -> None:
        if self.recipe is not None and self.asset is not None:
            raise ValueError("A zoo model is either shipped (an asset) or trained from a recipe, not both.")
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"No zoo architecture named {self.arch!r}: pick one of {', '.join(ARCHITECTURES)}.")
        if self.recipe is not None and type(self.recipe).__name__ != "Recipe":
            raise ValueError(f"A {self.arch} model is made from its Recipe, not from {type(self.recipe).__name__}.")

    @property
    def shipped(self) -> bool:
        return self.recipe is None


@dataclass(frozen=True)
class Inspect:
    """The config of a lab's `inspect(cfg, trained) -> InspectResult`: what a page shows of a model that
    depends on nothing but the model (its layers, its scores). `source` is part of the cache key, so
    equal configs mean equal models."""

    source: Source
    code_version: int = 4  # bump when an InspectResult changes; it is part of the cache key


def module(arch: str) -> Any:
    """The architecture module `core.zoo.<arch>`."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"No zoo architecture named {arch!r}.")
    return importlib.import_module(f"core.zoo.{arch}")


def resolve(source: Source, on_progress: Progress[Any] | None = None) -> Any:
    """The architecture's `Trained` for `source`: read from assets/zoo/, or trained from the recipe."""
    arch = module(source.arch)
    if source.recipe is None:
        return arch.shipped() if source.asset is None else arch.shipped(source.asset)
    if not isinstance(source.recipe, arch.Recipe):
        raise ValueError(f"A {source.arch} model is made from core.zoo.{source.arch}.Recipe.")
    return arch.train(source.recipe, on_progress)


def check(source: Source, trained: Any) -> None:
    """A ValueError unless `trained` (a `Trained` with `shipped` and `recipe`) is a model of `source`.

    A lab's result is cached under its config, which names the model by its Source; a view handed another
    model would file that model's result under this one's key.
    """
    if source.recipe is None and not trained.shipped:
        raise ValueError(f"This {source.arch} view asks for the shipped weights but was handed a student's model.")
    if source.recipe is not None and (trained.shipped or trained.recipe != source.recipe):
        raise ValueError(f"This {source.arch} view was handed a model that its recipe did not make.")
    # A Trained that records its asset (gan, recurrent, transformer) must be the very file the Source names.
    if source.asset is not None and getattr(trained, "asset", source.asset) != source.asset:
        raise ValueError(f"This {source.arch} view asks for the shipped {source.asset} but was handed another model.")
