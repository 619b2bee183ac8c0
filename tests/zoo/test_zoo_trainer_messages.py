"""Issue 19: what the trainer says of a run (a loss that overflowed) reaches the zoo's CNN, autoencoders, FCN and
recurrent results, so their pages can show it; a run that trains well, and the shipped models, say nothing."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from core.zoo import autoencoders, cnn, cnn_lab, fcn, recurrent
from core.zoo.source import Inspect, Source

# Tiny recipes at each architecture's own learning rate, and the variants that blow up at BLOWN_LR (seeded: the
# same ones every run). The plain AEs end in a sigmoid, so their MSE stays below 1 whatever the learning rate.
RUNS = {
    "cnn": (cnn, cnn.Recipe(filters=(4, 8), hidden=8, epochs=2, batch_size=256), {"CNN", "MLP"}),
    "autoencoders": (autoencoders, autoencoders.Recipe(wide=4, epochs=2, batch_size=256), {"VAE 2-D"}),
    "fcn": (fcn, fcn.Recipe(width=8, n_train=50, epochs=2, batch_size=50), {"FCN"}),
    "recurrent": (recurrent, recurrent.Recipe(length=5, hidden=4, epochs=2, n_train=100, batch_size=100),
                  set(recurrent.CELLS)),
}
BLOWN_LR = 1e4  # far above the 0.1 a recipe accepts (the widgets stop lower still), the most TrainConfig accepts
# core.training's sentence for a loss that blew up in the first epoch, whichever way it blew up, then its remedy:
# the CNN and autoencoder pages let the student set the learning rate, the FCN and RNN pages train at a fixed one
BLOWN_UP = (r"The loss (became NaN \(not a number\)|became infinite|exploded to \S+|grew to .+) at epoch 1: "
            r"the learning rate is too large for this network, so each step overshoots further\. ")
REMEDY = {"cnn": "Try a smaller one.", "autoencoders": "Try a smaller one.",
          "fcn": "This page trains at a fixed learning rate of 0.01: another seed starts from other weights and "
                 "another batch order.",
          "recurrent": "This page trains at a fixed learning rate of 0.005: try a shorter sequence or fewer hidden "
                       "units."}


def _blown(monkeypatch, module) -> None:
    """Every recipe of `module` trains at BLOWN_LR: a learning rate no widget offers and no recipe accepts."""
    own = module.Recipe.train_config
    monkeypatch.setattr(module.Recipe, "train_config", lambda self: replace(own(self), lr=BLOWN_LR))


@pytest.mark.parametrize("arch", RUNS)
def test_a_loss_that_blows_up_is_said_in_the_trained_result(arch, monkeypatch):
    module, recipe, blown = RUNS[arch]
    _blown(monkeypatch, module)
    partials = []
    trained = module.train(recipe, on_progress=lambda fraction, part: partials.append(part))
    assert set(trained.messages) == blown
    for message in trained.messages.values():
        assert re.fullmatch(BLOWN_UP + re.escape(REMEDY[arch]), message), message
    # each network keeps the weights of the epoch before its loss blew up: here epoch 0, before any training
    assert trained.kept_epoch == {v: 0 if v in blown else recipe.epochs for v in trained.kept_epoch}
    assert set(trained.kept_epoch) == set(trained.history.variant)
    assert partials and all(part.messages == {} for part in partials)  # while training: the curves only
    history = trained.history[trained.history.variant.isin(blown)]
    assert history.epoch.max() <= 1  # a variant's curve ends where its loss blew up


@pytest.mark.parametrize("arch", RUNS)
def test_a_run_at_its_own_learning_rate_and_the_shipped_models_say_nothing(arch):
    module, recipe, _ = RUNS[arch]
    trained = module.train(recipe)
    assert trained.messages == {} and int(trained.history.epoch.max()) == recipe.epochs
    assert set(trained.kept_epoch.values()) == {recipe.epochs}
    assert module.shipped().messages == {}


def test_a_cnn_whose_loss_blew_up_is_scored_on_the_weights_it_kept(monkeypatch):
    """Its board read the last epoch: there a network whose loss blew up has the blown-up values, not its kept
    weights' (here), or no row at all when the other trained on (train() raised a KeyError at lr 10 instead of
    handing the page the trainer's sentence). It reads the epoch whose weights were kept (0: the ones before)."""
    _, recipe, _ = RUNS["cnn"]
    _blown(monkeypatch, cnn)
    trained = cnn.train(recipe)
    board = trained.board.set_index("model")
    start = trained.history[(trained.history.epoch == 0) & (trained.history.split == "validation")
                            & (trained.history.metric == "accuracy")].set_index("variant")["value"]
    seen = cnn_lab.inspect(Inspect(Source("cnn", recipe)), trained)
    for variant in ("CNN", "MLP"):
        assert board.loc[variant, "validation accuracy"] == pytest.approx(start[variant])
        assert seen.accuracy[variant] == pytest.approx(start[variant], abs=1e-5)  # the weights the views use
    assert trained.facts.cnn_final_val_accuracy == pytest.approx(start["CNN"])


def test_a_cnn_pair_blown_up_at_epoch_1_is_said_to_have_kept_no_epoch_of_training(monkeypatch):
    """The comparison counted the blown epoch ("neither passes 95% within 1 epochs"); it counts the kept ones."""
    _, recipe, _ = RUNS["cnn"]
    _blown(monkeypatch, cnn)
    facts = cnn.train(recipe).facts
    assert (facts.epochs_trained, facts.cnn_epochs_kept, facts.mlp_epochs_kept) == (0, 0, 0)
    assert facts.untrained == ("CNN", "MLP")
    monkeypatch.undo()
    trained = cnn.train(recipe)  # a normal run trains both: nothing is untrained
    assert (trained.facts.epochs_trained, trained.facts.untrained) == (recipe.epochs, ())


def test_a_race_blown_up_at_epoch_1_says_which_cells_kept_no_training(monkeypatch):
    _, recipe, blown = RUNS["recurrent"]
    _blown(monkeypatch, recurrent)
    assert set(recurrent.train(recipe).facts.own_untrained) == blown
