"""A class shares the models it trains (issue 19): a zoo recipe takes one of a few seeds, and so does the page."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.zoo import autoencoders, cnn, fcn, gan, recipe, transformer
from tests.conftest import every_section_open
from ui.lesson_map import APP_ROOT


@pytest.mark.parametrize("make", [lambda s: cnn.Recipe(seed=s), lambda s: fcn.Recipe(seed=s),
                                  lambda s: autoencoders.Recipe(seed=s), lambda s: transformer.Recipe(seed=s),
                                  lambda s: gan.Recipe("ring", seed=s)])
def test_a_recipe_takes_the_shared_seeds_and_refuses_others_with_a_sentence(make):
    for seed in range(recipe.SEEDS):
        make(seed)
    with pytest.raises(ValueError, match="Pick a seed from 0 to 4"):
        make(recipe.SEEDS)


def test_a_zoo_page_offers_exactly_the_shared_seeds():
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / "8_Zoo_CNN.py"), default_timeout=120))
    at.query_params["cnn-own"] = "true"
    at.run()
    assert not at.exception
    proto = at.number_input(key="seed").proto
    assert (proto.min, proto.max) == (0, recipe.SEEDS - 1)
