"""Regularization (slides 57-62: regularize the training 57, L2 58, early stopping 59, dropout 60, ensembles 61,
data augmentation 62): an overfitting baseline and each remedy measured on it, all through the one trainer.

- `baseline_data(n_train, seed, label_noise)`: the 8x8 digits with only a few training images (pixels in [0, 1]), a
  share of them given a wrong digit: a big MLP learns those by heart too.
- `remedies(Remedies(...))`: the baseline and L2 / weight decay, early stopping, dropout, an ensemble of K
  networks (one batched pass) and data augmentation (at the baseline's number of SGD updates), plus a combination,
  each trained on that baseline; a leaderboard, the curves, the weight histograms with and without L2, dropout's
  train vs eval behaviour, and the facts the page's sentences are made of.
- `augmentation_effect(AugEffect(...))`: the same network with and without augmented digits at equal SGD updates.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
from torch import nn

from core import augment, data, progress, training
from core.models import MLPSpec, build_mlp
from core.progress import Progress
from core.training import FitResult, Snapshot, TrainConfig, Variant

COMBINABLE = ("L2", "early stopping", "dropout", "augmentation")
BASELINE = "no remedy (baseline)"
# A remedy that gets at most this share of the validation digits (5 of 539) more right than the baseline wins "only
# just": a handful of digits, about what the ensemble's gain moves from one seed to the next (standard deviation 0.8
# points over seeds 0-4 at the defaults, tests/core/test_seeds_regularization.py).
NARROW_SHARE = 0.01
MEMORIZE_RISE = 0.5  # "it memorizes": validation loss ends over 50% above its minimum, train accuracy 100%
# (default, 20% wrong labels: +167%; clean labels: +14%, 0.04, too little to call memorizing)


def and_list(items: tuple[str, ...] | list[str]) -> str:
    """'a', 'a and b', 'a, b and c': a list as a sentence writes it."""
    items = [str(i) for i in items]
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]
VALIDATION_IMAGES = 539  # len(baseline_data(n, seed).x_val) for every n and seed: 30% of each digit's images


def baseline_data(n_train: int, seed: int = 0, label_noise: float = 0.0) -> data.Dataset:
    """Digits scaled to [0, 1], the first n_train of the (shuffled, seeded) training split; the whole validation split.

    `label_noise`: the share of training images whose label is replaced by another, wrong digit (seeded), as
    careless annotators would; the validation labels stay clean. A network that memorizes its training set then
    learns those wrong answers too, which is what the remedies are meant to prevent.
    """
    ds = data.scaled_digits(seed)
    if not 20 <= n_train <= len(ds.x_train):
        raise ValueError(f"Use between 20 and {len(ds.x_train)} training images.")
    if not 0 <= label_noise <= 0.5:
        raise ValueError("Give between 0 and 50% of the training labels a wrong digit.")
    y = ds.y_train[:n_train].clone()
    g = torch.Generator().manual_seed(seed)
    flipped = torch.randperm(n_train, generator=g)[: round(label_noise * n_train)]
    y[flipped] = (y[flipped] + torch.randint(1, 10, (len(flipped),), generator=g)) % 10  # surely another digit
    return replace(ds, x_train=ds.x_train[:n_train], y_train=y)


def augmented(ds: data.Dataset, copies: int, max_shift: float, max_degrees: float, seed: int) -> data.Dataset:
    """The training set plus `copies` shifted/rotated copies of it (the trainer takes one fixed training set)."""
    extra = augment.augment_digits(ds.x_train, copies, max_shift, max_degrees, seed)
    return replace(ds, x_train=torch.cat([ds.x_train, extra]), y_train=ds.y_train.repeat(copies + 1))


def equal_steps(train: TrainConfig, copies: int) -> TrainConfig:
    """`train` for a training set with `copies` augmented copies of each image: batches (copies + 1) times as large,
    so that each epoch takes as many SGD updates as on the originals alone. More images per epoch would otherwise
    also mean more updates, and a gain could not be told apart from longer training."""
    return replace(train, batch_size=train.batch_size * (copies + 1)) if train.batch_size else train


@dataclass(frozen=True)
class Remedies:
    """The overfitting baseline and the knobs of each remedy; `combo` names the remedies trained together."""

    n_train: int = 200
    label_noise: float = 0.2  # wrong labels make memorizing hurt: with clean digits L2 and early stopping did not help
    width: int = 64
    epochs: int = 100
    lr: float = 0.1
    weight_decay: float = 0.03
    patience: int = 10
    dropout: float = 0.3
    ensemble: int = 4
    copies: int = 3  # augmented copies of each training image
    combo: tuple[str, ...] = ("L2", "early stopping")
    seed: int = 0
    code_version: int = 5  # 2: shorter dropout mode names; 3: label noise, equal updates for augmentation, facts;
    # 4: margins in validation digits ("only just"), gaps in percentage points; 5: wide/narrow winners, memorizes

    def __post_init__(self) -> None:
        if not 0 < self.weight_decay <= 0.1:
            raise ValueError("The weight decay must be above 0 and at most 0.1.")
        if not 1 <= self.patience < self.epochs:
            raise ValueError("The patience must be at least 1 epoch and below the number of epochs.")
        if not 0 < self.dropout < 1:
            raise ValueError("The dropout rate must be above 0 and below 1.")
        if not 2 <= self.ensemble <= 10:
            raise ValueError("An ensemble has between 2 and 10 networks.")
        if not 1 <= self.copies <= 10:
            raise ValueError("Make between 1 and 10 augmented copies of each training image.")
        if not 0 <= self.label_noise <= 0.5:
            raise ValueError("Give between 0 and 50% of the training labels a wrong digit.")
        if not 8 <= self.width <= 512:
            raise ValueError("Each hidden layer needs between 8 and 512 units.")
        unknown = set(self.combo) - set(COMBINABLE)
        if unknown:
            raise ValueError(f"Only {', '.join(COMBINABLE)} can be combined (not {', '.join(sorted(unknown))}).")

    def spec(self, dropout: float = 0.0) -> MLPSpec:
        return MLPSpec(64, (self.width, self.width), 10, "relu", dropout=dropout)

    def train(self, **changes: object) -> TrainConfig:
        settings: dict[str, object] = {"epochs": self.epochs, "batch_size": 50, "lr": self.lr, "optimizer": "sgd",
                                       "momentum": 0.9, "seed": self.seed, **changes}
        return TrainConfig(**settings)  # type: ignore[arg-type]


# How long `remedies` takes on the 2-core CPU this app is sized for (issue 18: 3 s or more starts on a button).
# Timed cold through the page (AppTest): 3.7 and 4.3 s at the defaults; 1.7x with an ensemble of 8, 2.3x with 6
# augmented copies, 1.1x with 400 training images.
REMEDIES_SECONDS = 4.0


def remedies_seconds(cfg: Remedies) -> float:
    """The seconds `remedies(cfg)` takes here: REMEDIES_SECONDS, more per extra net, copy and training image."""
    base = Remedies()
    more = (0.185 * (cfg.ensemble - base.ensemble) + 0.43 * (cfg.copies - base.copies)
            + 0.1 * (cfg.n_train / base.n_train - 1))
    return REMEDIES_SECONDS * max(0.5, 1 + more)  # fewer nets and copies: measured only upwards, so kept at half


@dataclass(frozen=True)
class BaselineFacts:
    """What section 1's notice says about the baseline: it memorizes (train 100%, validation far below, the validation
    loss climbing from its minimum while the train loss keeps falling)."""

    n_train: int
    n_wrong_labels: int  # training images given a wrong digit (label noise)
    parameters: int
    base_train_accuracy: float
    base_val_accuracy: float
    base_accuracy_gap: float  # train - validation accuracy
    base_accuracy_gap_points: float  # the same in percentage points (100 x)
    n_val: int  # validation images (the same for every n_train and seed)
    base_loss_gap: float  # validation - train loss, at the end
    val_loss_low_epoch: int  # the epoch of the lowest validation loss
    val_loss_rise: float  # final validation loss - its lowest value
    train_loss_fall_after: float  # train loss at val_loss_low_epoch - final train loss
    val_loss_rise_share: float  # val_loss_rise / the lowest validation loss
    memorizes: bool  # train accuracy 100% and the validation loss ends more than MEMORIZE_RISE above its minimum
    val_loss_rise_small: bool  # the validation loss ends at most MEMORIZE_RISE above its minimum


@dataclass(frozen=True)
class RemedyFacts:
    """The leaderboard in the few numbers section 2's notice reads: each remedy's validation accuracy against the
    baseline's, which ones beat it, what L2 does to the loss gap, what the ensemble costs, and the SGD updates of the
    runs with and without augmentation (equal by construction: `equal_steps`)."""

    baseline_accuracy: float
    l2_accuracy: float
    early_stopping_accuracy: float
    dropout_accuracy: float
    ensemble_accuracy: float
    augmentation_accuracy: float
    best_remedy: str
    best_accuracy: float
    winners: tuple[str, ...]  # remedies (combination left out) above the baseline's validation accuracy
    losers: tuple[str, ...]  # the others
    baseline_loss_gap: float
    l2_loss_gap: float
    ensemble_size: int
    ensemble_parameters: int
    single_parameters: int
    baseline_updates: int  # SGD updates the baseline took
    augmentation_updates: int
    augmentation_images: int  # training images per epoch with augmentation
    validation_images: int
    # validation digits each remedy gets right beyond the baseline's count (negative: fewer)
    l2_margin_digits: int
    early_stopping_margin_digits: int
    dropout_margin_digits: int
    ensemble_margin_digits: int
    augmentation_margin_digits: int
    narrow_winners: tuple[tuple[str, int], ...]  # (remedy, margin in digits) of the winners by at most NARROW_SHARE
    wide_winners: tuple[str, ...]  # the winners by more than NARROW_SHARE
    narrow_names: str  # the narrow winners as a sentence lists them ("early stopping, ensemble of 4 and ...")
    narrow_margins: str  # their margins in digits, in the same order ("2, 2 and 5")
    narrow_count: int


@dataclass(frozen=True)
class InsideFacts:
    """Early stopping's two epochs, the ensemble against its members, dropout in train vs eval mode."""

    es_best_epoch: int  # weights kept
    es_stopped_epoch: int  # 0: it never stopped early
    es_patience: int
    members_mean_accuracy: float
    members_best_accuracy: float
    ensemble_beats_members_mean: bool
    dropout_rate: float
    dropout_zeroed_train: float  # mean share of active hidden units zeroed per pass in train mode
    dropout_zeroed_eval: float
    dropout_train_low: float  # validation accuracy range over the train-mode passes
    dropout_train_high: float
    dropout_eval_passes_agree: bool


@dataclass(frozen=True)
class WeightFacts:
    """Section 3: the L2 norm of all weights with and without weight decay."""

    decay: float
    norm_base: float
    norm_l2: float
    norm_shrink: float  # 1 - norm_l2 / norm_base
    l2_accuracy_change: float  # L2's validation accuracy - the baseline's
    l2_accuracy_change_points: float  # the same in percentage points


@dataclass
class RemediesResult:
    history: pd.DataFrame  # variant, epoch, split, metric, value (ensemble members left out, the ensemble in)
    board: pd.DataFrame  # remedy, validation / train accuracy, accuracy gap, loss gap, epochs trained, parameters
    early_history: pd.DataFrame  # the baseline's and early stopping's rows of `history`
    stops: pd.DataFrame  # early stopping: epoch, event ("best validation loss: weights kept" / "stopped")
    members: pd.DataFrame  # network, validation accuracy (the K members and the ensemble)
    weights: pd.DataFrame  # variant, weight (bin centre), count: histograms of every weight, shared bins
    norms: dict[str, float]  # variant -> L2 norm of all weights (biases left out)
    dropout: pd.DataFrame  # mode, pass, validation accuracy, active units zeroed
    messages: dict[str, str]
    n_train: int
    baseline: BaselineFacts
    facts: RemedyFacts
    inside: InsideFacts
    weight_facts: WeightFacts


def weight_vector(states: dict[str, np.ndarray]) -> np.ndarray:
    """Every weight of a network in one vector (biases left out: weight decay is about the weights)."""
    return np.concatenate([v.ravel() for k, v in states.items() if k.endswith("weight")])


def dropout_passes(spec: MLPSpec, state: dict[str, np.ndarray], x: torch.Tensor, y: torch.Tensor,
                   passes: int = 3, seed: int = 0) -> pd.DataFrame:
    """The trained network run `passes` times in train mode (dropout on) and in eval mode (dropout off)."""
    model = build_mlp(spec)
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    zeroed: list[float] = []

    def count(module: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        alive = inputs[0] != 0  # units the ReLU left on: how many of those did dropout switch off?
        zeroed.append(float(((output == 0) & alive).sum() / alive.sum().clamp(min=1)))

    hooks = [m.register_forward_hook(count) for m in model if isinstance(m, nn.Dropout)]
    torch.manual_seed(seed)
    rows = []
    with torch.no_grad():
        for mode in ("train", "eval"):
            model.train(mode == "train")
            for p in range(1, passes + 1):
                zeroed.clear()
                acc = float((model(x).argmax(1) == y).float().mean())
                rows.append({"mode": f"{mode} (dropout {'on' if mode == 'train' else 'off'})", "pass": p,
                             "validation accuracy": acc, "active units zeroed": float(np.mean(zeroed))})
    for h in hooks:
        h.remove()
    return pd.DataFrame(rows)


def _histograms(vectors: dict[str, np.ndarray], bins: int = 40) -> pd.DataFrame:
    edges = np.histogram_bin_edges(np.concatenate(list(vectors.values())), bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    return pd.concat([pd.DataFrame({"variant": name, "weight": centres, "count": np.histogram(v, edges)[0]})
                      for name, v in vectors.items()], ignore_index=True)


def _row(remedy: str, fit: FitResult, variant: str, params: int) -> dict[str, object]:
    val, train = fit.final("accuracy", "validation")[variant], fit.final("accuracy", "train")[variant]
    loss_gap = fit.final("loss", "validation")[variant] - fit.final("loss", "train")[variant]
    return {"remedy": remedy, "validation accuracy": val, "train accuracy": train, "accuracy gap": train - val,
            "loss gap (validation − train)": loss_gap, "epochs trained": fit.last_epoch[variant], "parameters": params}


def remedies(cfg: Remedies, on_progress: Progress[RemediesResult] | None = None) -> RemediesResult:
    ds = baseline_data(cfg.n_train, cfg.seed, cfg.label_noise)
    aug = augmented(ds, cfg.copies, 1.0, 10.0, cfg.seed)
    members = [BASELINE] + [f"member {i + 1}" for i in range(1, cfg.ensemble)]  # member 1 is the baseline itself
    ens_name = f"ensemble of {cfg.ensemble}"
    # per epoch: the ensemble's (train, validation) accuracy, then loss, of the members' averaged probabilities
    ens_rows: list[np.ndarray] = []

    def track(fraction: float, snap: Snapshot) -> None:
        accs, losses = [], []
        for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val)):
            # (N, 10): the members' probabilities averaged
            p = snap.predict(x)[[0, *range(2, cfg.ensemble + 1)]].mean(0).cpu()
            accs.append(float((p.argmax(1) == y).float().mean()))
            losses.append(float(-p[torch.arange(len(y)), y].clamp(min=1e-12).log().mean()))  # cross-entropy
        ens_rows.append(np.array([snap.epoch, *accs, *losses]))
        progress.report(on_progress, 0.5 * fraction,
                        training.partial(RemediesResult, history=snap.history, n_train=cfg.n_train))

    # One batched (full-batch) pass: the baseline, L2 and the other K - 1 ensemble members differ only in weight decay
    # and seed.
    batch = [Variant(BASELINE, cfg.spec(), cfg.train()), Variant("L2 / weight decay", cfg.spec(),
                                                                 cfg.train(weight_decay=cfg.weight_decay))]
    batch += [Variant(m, cfg.spec(), cfg.train(seed=cfg.seed + i)) for i, m in enumerate(members) if i]
    # The ensemble's curve is measured every 3rd epoch (and at the last): each report costs the trainer a history table.
    main = training.fit_many(batch, ds, on_progress=track, progress_every=3)
    stop = training.fit(cfg.spec(), ds, cfg.train(patience=cfg.patience), name="early stopping")
    drop = training.fit(cfg.spec(cfg.dropout), ds, cfg.train(), name="dropout")
    augm = training.fit(cfg.spec(), aug, equal_steps(cfg.train(), cfg.copies), name="augmentation")
    progress.report(on_progress, 0.8, training.partial(RemediesResult, history=pd.concat(
        [main.history, stop.history, drop.history, augm.history], ignore_index=True), n_train=cfg.n_train))
    combo_name, combo = _combination(cfg, ds, aug)
    fits = [f for f in (stop, drop, augm, combo) if f is not None]

    ens = np.array(ens_rows)
    main_hist = main.history[~main.history.variant.isin(members[1:])]
    history = pd.concat([main_hist, _ensemble_history(ens, ens_name), *(f.history for f in fits)],
                        ignore_index=True)

    n = cfg.spec().n_params
    board = _board(cfg, {BASELINE: main, "L2 / weight decay": main, "early stopping": stop, "dropout": drop},
                   (ens_name, ens), augm, (combo_name, combo), n)
    member_acc = main.final("accuracy", "validation")
    member_table = pd.DataFrame({"network": ["member 1 (the baseline)", *members[1:],
                                             f"{ens_name} (mean of probabilities)"],
                                 "validation accuracy": [*(member_acc[m] for m in members), ens[-1, 2]]})
    vectors = {name: weight_vector(main.states[name]) for name in (BASELINE, "L2 / weight decay")}
    norms = {k: float(np.linalg.norm(v)) for k, v in vectors.items()}
    l2_change = float(member_acc["L2 / weight decay"] - member_acc[BASELINE])
    messages = {k: v for f in (main, *fits) for k, v in f.messages.items()}
    drop_table = dropout_passes(cfg.spec(cfg.dropout), drop.states["dropout"], ds.x_val, ds.y_val, seed=cfg.seed)
    board_df = pd.DataFrame(board)
    return RemediesResult(
        history=history, board=board_df, early_history=history[history.variant.isin([BASELINE, "early stopping"])],
        stops=_stops(stop), members=member_table, weights=_histograms(vectors), norms=norms, dropout=drop_table,
        messages=messages, n_train=cfg.n_train,
        baseline=_baseline_facts(main, cfg.n_train, round(cfg.label_noise * cfg.n_train), n, len(ds.x_val)),
        facts=_remedy_facts(board_df, cfg, updates=(main.iterations_per_epoch * main.last_epoch[BASELINE],
                                                    augm.iterations_per_epoch * augm.last_epoch["augmentation"]),
                            aug_images=len(aug.x_train), n_val=len(ds.x_val)),
        inside=_inside_facts(stop, cfg, member_table, drop_table),
        weight_facts=WeightFacts(decay=cfg.weight_decay, norm_base=norms[BASELINE], norm_l2=norms["L2 / weight decay"],
                                 norm_shrink=1 - norms["L2 / weight decay"] / norms[BASELINE],
                                 l2_accuracy_change=l2_change, l2_accuracy_change_points=100 * l2_change),
    )


def _board(cfg: Remedies, fits: dict[str, FitResult], ensemble: tuple[str, np.ndarray], augm: FitResult,
           combination: tuple[str, FitResult | None], n: int) -> list[dict]:
    """The leaderboard's rows in the page's order: each remedy's final accuracies, gaps and weights."""
    (ens_name, ens), (combo_name, combo) = ensemble, combination
    board = [_row(name, fit, name, n) for name, fit in fits.items()]
    board.append({"remedy": ens_name, "validation accuracy": ens[-1, 2], "train accuracy": ens[-1, 1],
                  "accuracy gap": ens[-1, 1] - ens[-1, 2], "loss gap (validation − train)": ens[-1, 4] - ens[-1, 3],
                  "epochs trained": cfg.epochs, "parameters": n * cfg.ensemble})
    board.append(_row(f"augmentation ({cfg.copies} copies)", augm, "augmentation", n))
    if combo is not None:
        board.append(_row(combo_name, combo, combo_name, n))
    return board


def _combination(cfg: Remedies, ds: data.Dataset, aug: data.Dataset) -> tuple[str, FitResult | None]:
    """The remedies the student ticked, trained together in one network (None when none is ticked)."""
    name = "combination: " + (" + ".join(cfg.combo) if cfg.combo else "none ticked")
    if not cfg.combo:
        return name, None
    train = cfg.train(weight_decay=cfg.weight_decay if "L2" in cfg.combo else 0.0,
                      patience=cfg.patience if "early stopping" in cfg.combo else None)
    return name, training.fit(cfg.spec(cfg.dropout if "dropout" in cfg.combo else 0.0),
                              aug if "augmentation" in cfg.combo else ds,
                              equal_steps(train, cfg.copies if "augmentation" in cfg.combo else 0), name=name)


def _ensemble_history(ens: np.ndarray, name: str) -> pd.DataFrame:
    """The ensemble's rows (epoch, train acc, val acc, train loss, val loss) as the trainer's tidy history."""
    return pd.DataFrame({"variant": name, "epoch": np.repeat(ens[:, 0].astype(int), 4),
                         "split": ["train", "validation"] * 2 * len(ens),
                         "metric": ["accuracy", "accuracy", "loss", "loss"] * len(ens), "value": ens[:, 1:].ravel()})


def _stops(stop: FitResult) -> pd.DataFrame:
    """Where early stopping kept its weights and where it stopped (no rows when it ran to the end)."""
    rows = [{"variant": "early stopping", "epoch": e, "event": event} for e, event in
            ((stop.best_epoch["early stopping"], "best validation loss: weights kept"),
             (stop.last_epoch["early stopping"], "stopped"))] if "early stopping" in stop.messages else []
    return pd.DataFrame(rows, columns=["variant", "epoch", "event"])


def _remedy_facts(board: pd.DataFrame, cfg: Remedies, updates: tuple[int, int], aug_images: int,
                  n_val: int) -> RemedyFacts:
    acc = board.set_index("remedy")["validation accuracy"]
    gap = board.set_index("remedy")["loss gap (validation − train)"]
    single = board[~board.remedy.str.startswith("combination")]
    rest = single[single.remedy != BASELINE]
    best = board.loc[board["validation accuracy"].idxmax()]
    base = acc[BASELINE]
    # accuracies are counts of right digits over n_val: the difference of two is a whole number of digits
    margin = {r: int(round((acc[r] - base) * n_val)) for r in rest.remedy}
    narrow = tuple((r, m) for r, m in margin.items() if 0 < m <= NARROW_SHARE * n_val)
    return RemedyFacts(
        baseline_accuracy=float(base), l2_accuracy=float(acc["L2 / weight decay"]),
        early_stopping_accuracy=float(acc["early stopping"]), dropout_accuracy=float(acc["dropout"]),
        ensemble_accuracy=float(acc[f"ensemble of {cfg.ensemble}"]),
        augmentation_accuracy=float(acc[f"augmentation ({cfg.copies} copies)"]),
        best_remedy=str(best.remedy), best_accuracy=float(best["validation accuracy"]),
        winners=tuple(rest.remedy[rest["validation accuracy"] > base]),
        losers=tuple(rest.remedy[rest["validation accuracy"] <= base]),
        baseline_loss_gap=float(gap[BASELINE]), l2_loss_gap=float(gap["L2 / weight decay"]),
        ensemble_size=cfg.ensemble, ensemble_parameters=cfg.ensemble * cfg.spec().n_params,
        single_parameters=cfg.spec().n_params, baseline_updates=updates[0], augmentation_updates=updates[1],
        augmentation_images=aug_images, validation_images=n_val, l2_margin_digits=margin["L2 / weight decay"],
        early_stopping_margin_digits=margin["early stopping"], dropout_margin_digits=margin["dropout"],
        ensemble_margin_digits=margin[f"ensemble of {cfg.ensemble}"],
        augmentation_margin_digits=margin[f"augmentation ({cfg.copies} copies)"], narrow_winners=narrow,
        wide_winners=tuple(r for r, m in margin.items() if m > NARROW_SHARE * n_val),
        narrow_names=and_list([r for r, _ in narrow]), narrow_margins=and_list([str(m) for _, m in narrow]),
        narrow_count=len(narrow))


def _inside_facts(stop: FitResult, cfg: Remedies, members: pd.DataFrame, drop: pd.DataFrame) -> InsideFacts:
    acc = members["validation accuracy"]
    train, evals = drop[drop["mode"].str.startswith("train")], drop[drop["mode"].str.startswith("eval")]
    return InsideFacts(
        es_best_epoch=stop.best_epoch["early stopping"],
        es_stopped_epoch=stop.last_epoch["early stopping"] if "early stopping" in stop.messages else 0,
        es_patience=cfg.patience, members_mean_accuracy=float(acc.iloc[:-1].mean()),
        members_best_accuracy=float(acc.iloc[:-1].max()),
        ensemble_beats_members_mean=bool(acc.iloc[-1] > acc.iloc[:-1].mean()),
        dropout_rate=cfg.dropout, dropout_zeroed_train=float(train["active units zeroed"].mean()),
        dropout_zeroed_eval=float(evals["active units zeroed"].max()),
        dropout_train_low=float(train["validation accuracy"].min()),
        dropout_train_high=float(train["validation accuracy"].max()),
        dropout_eval_passes_agree=bool(evals["validation accuracy"].nunique() == 1))


def _baseline_facts(main: FitResult, n_train: int, n_wrong: int, params: int, n_val: int) -> BaselineFacts:
    h = main.history[main.history.variant == BASELINE]
    curve = {(sp, m): h[(h.split == sp) & (h.metric == m)].set_index("epoch").value
             for sp in ("train", "validation") for m in ("loss", "accuracy")}
    low = int(curve["validation", "loss"].idxmin())
    val_low, val_end = float(curve["validation", "loss"][low]), float(curve["validation", "loss"].iloc[-1])
    train_acc = float(curve["train", "accuracy"].iloc[-1])
    gap = float(curve["train", "accuracy"].iloc[-1] - curve["validation", "accuracy"].iloc[-1])
    return BaselineFacts(
        n_train=n_train, n_wrong_labels=n_wrong, parameters=params,
        base_train_accuracy=float(curve["train", "accuracy"].iloc[-1]),
        base_val_accuracy=float(curve["validation", "accuracy"].iloc[-1]),
        base_accuracy_gap=gap, base_accuracy_gap_points=100 * gap,
        n_val=n_val,
        base_loss_gap=float(curve["validation", "loss"].iloc[-1] - curve["train", "loss"].iloc[-1]),
        val_loss_low_epoch=low,
        val_loss_rise=float(curve["validation", "loss"].iloc[-1] - curve["validation", "loss"][low]),
        train_loss_fall_after=float(curve["train", "loss"][low] - curve["train", "loss"].iloc[-1]),
        val_loss_rise_share=(val_end - val_low) / val_low,
        memorizes=bool(train_acc == 1.0 and val_end > (1 + MEMORIZE_RISE) * val_low),
        val_loss_rise_small=bool(val_end <= (1 + MEMORIZE_RISE) * val_low))


@dataclass(frozen=True)
class AugEffect:
    """The same network trained on n_train digits, and on those plus `copies` shifted/rotated copies of each."""

    n_train: int = 100
    copies: int = 8  # the gain beat its seed-to-seed spread (tests/core/test_seeds_regularization.py); 4 by less
    max_shift: float = 1.0  # pixels
    max_degrees: float = 10.0
    epochs: int = 30  # with augmentation; without it copies + 1 times as many, for the same SGD updates
    batch_size: int = 50
    seed: int = 0
    code_version: int = 3  # 2: equal SGD updates with and without augmentation; 3: epochs per run, gain in points

    def __post_init__(self) -> None:
        if not 1 <= self.copies <= 10:
            raise ValueError("Make between 1 and 10 augmented copies of each training image.")
        if not 0 <= self.max_shift <= 2 or not 0 <= self.max_degrees <= 45:
            raise ValueError("Shift up to 2 pixels and rotate up to 45 degrees.")
        if not 5 <= self.epochs <= 200:
            raise ValueError("Train for between 5 and 200 epochs.")
        training.check_batch_size(self.batch_size, self.n_train)


@dataclass(frozen=True)
class AugEffectFacts:
    """Section 5's notice: the two runs' validation accuracy at the same number of SGD updates."""

    effect_copies: int
    originals: int  # training images without augmentation
    images_with: int  # originals + copies, per epoch
    updates_without: int
    updates_with: int
    batch_without: int
    batch_with: int
    epochs_without: int  # passes through the training set: copies + 1 times as many without augmentation
    epochs_with: int
    accuracy_without: float  # final validation accuracy
    accuracy_with: float
    augmentation_gain: float  # accuracy_with - accuracy_without
    augmentation_gain_points: float  # the same in percentage points


@dataclass
class AugEffectResult:
    history: pd.DataFrame  # variant, epoch, update (SGD updates so far), split, metric, value
    examples: np.ndarray  # (rows, 8 * cols) one digit and its augmented copies side by side, values in [0, 1]
    table: pd.DataFrame  # variant, training images, batch size, epochs, SGD updates, best / final validation accuracy
    facts: AugEffectFacts


def augmentation_effect(cfg: AugEffect, on_progress: Progress[AugEffectResult] | None = None) -> AugEffectResult:
    """Both runs take the same number of SGD updates in batches of the same size: the run without augmentation trains
    copies + 1 times as many epochs, so both see as many images in all; only their variety differs."""
    ds = baseline_data(cfg.n_train, cfg.seed)
    aug = augmented(ds, cfg.copies, cfg.max_shift, cfg.max_degrees, cfg.seed)
    spec = MLPSpec(64, (64, 64), 10, "relu")
    train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=0.1, optimizer="sgd", momentum=0.9,
                        seed=cfg.seed)
    names = ("without augmentation", f"with augmentation ({cfg.copies} copies)")
    runs = ((ds, replace(train, epochs=cfg.epochs * (cfg.copies + 1))), (aug, train))
    fits = [training.fit(spec, d, t, name=name) for (d, t), name in zip(runs, names)]
    history = pd.concat([f.history.assign(update=f.history.epoch * f.iterations_per_epoch) for f in fits],
                        ignore_index=True)
    rows = []
    for f, name, (d, t) in zip(fits, names, runs):
        val = f.history[(f.history.split == "validation") & (f.history.metric == "accuracy")].value
        rows.append({"variant": name, "training images": len(d.x_train), "batch size": t.batch_size,
                     "epochs": f.last_epoch[name], "SGD updates": f.iterations_per_epoch * f.last_epoch[name],
                     "best validation accuracy": val.max(),
                     "final validation accuracy": val.iloc[-1]})
    n = len(ds.x_train)
    picks = [aug.x_train[[i + k * n for k in range(cfg.copies + 1)]].reshape(-1, 8, 8) for i in range(4)]
    examples = np.concatenate([np.concatenate(list(p.numpy()), axis=1) for p in picks], axis=0)
    without, with_ = rows
    gain = float(with_["final validation accuracy"] - without["final validation accuracy"])
    facts = AugEffectFacts(
        effect_copies=cfg.copies, originals=n, images_with=len(aug.x_train), updates_without=without["SGD updates"],
        updates_with=with_["SGD updates"], batch_without=without["batch size"], batch_with=with_["batch size"],
        epochs_without=without["epochs"], epochs_with=with_["epochs"],
        accuracy_without=float(without["final validation accuracy"]),
        accuracy_with=float(with_["final validation accuracy"]), augmentation_gain=gain,
        augmentation_gain_points=100 * gain)
    return AugEffectResult(history, examples.clip(0, 1), pd.DataFrame(rows), facts)
