"""A table to work on: a bundled scikit-learn table, or a student's uploaded CSV checked, parsed and split.

`read_csv(name, content)` refuses what cannot be a usable table (not CSV, empty, too big, no
numeric columns, missing values) with a ValueError that names the problem; `table_dataset`
then turns the numeric columns plus a chosen target column into train and validation tensors,
split the way `core.data.load` splits scikit-learn's tables (stratified, seeded). `Source` names
either kind of table in plain values (so it can sit in a cached config); `load_source` loads it.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core import data
from core.data import Dataset

MAX_BYTES = 5 * 2**20  # 5 MB: a classroom server keeps every upload in memory
MAX_ROWS = 50_000
MAX_COLUMNS = 200  # a feature per column: more would not fit a chart (or a lesson)
MIN_ROWS = 10  # fewer leaves no validation set worth the name
MAX_CLASSES = 20
MAX_ABS = 1e15  # a cell beyond it can overflow on the way: from ~1.8e19 its square passes float32's 3.4e38
TABLES = ("wine", "breast_cancer")  # the bundled tables the preprocessing page offers


def read_csv(name: str, content: bytes) -> pd.DataFrame:
    """The file as a DataFrame whose columns are numbers, plus label-like text columns (possible targets)."""
    if not name.lower().endswith(".csv"):
        raise ValueError(f"{name!r} is not a CSV file: upload a .csv table (comma-separated, one header row).")
    if len(content) > MAX_BYTES:
        raise ValueError(f"The file is {len(content) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB.")
    if not content.strip():
        raise ValueError("The file is empty: there is no header row and no data.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The file is not text (it does not decode as UTF-8), so it is not a CSV table.") from None
    try:
        df = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        raise ValueError(f"The file could not be read as a CSV table: {e}") from None
    if df.empty:
        raise ValueError("The file has a header row but no data rows.")
    if len(df) > MAX_ROWS:
        raise ValueError(f"The file has {len(df):,} rows; the limit is {MAX_ROWS:,}.")
    if len(df) < MIN_ROWS:
        raise ValueError(f"The file has {len(df)} rows; at least {MIN_ROWS} are needed to train and validate.")
    if df.shape[1] > MAX_COLUMNS:
        raise ValueError(f"The file has {df.shape[1]:,} columns; the limit is {MAX_COLUMNS}. Keep the features you "
                         "want to compare and the label column.")
    # The header as written: pandas renames a repeated name ('x', 'x' -> 'x', 'x.1'), so it is read on its own.
    header = [c.strip() for c in next(csv.reader(io.StringIO(text)))]
    df.columns = [str(c).strip() for c in df.columns]
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise ValueError(f"The header names {', '.join(map(repr, twice))} more than once: give each column its own "
                         "name.")
    numeric = df.select_dtypes("number").columns
    if len(numeric) == 0:
        raise ValueError("The file has no numeric columns: scaling needs numbers "
                         "(and a CSV separates them with commas).")
    missing = df[numeric].isna().sum()
    if missing.any():
        column = missing[missing > 0].index[0]
        row = int(np.flatnonzero(df[column].isna())[0]) + 2  # + header row, 1-based as a spreadsheet shows it
        raise ValueError(f"Column {column!r} has {int(missing[column])} empty cells (the first on line {row}); "
                         "fill or drop them before uploading.")
    values = df[numeric].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (np.abs(values) > MAX_ABS)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        n_bad = int(bad[:, col].sum())
        raise ValueError(f"Column {numeric[col]!r} has {n_bad} cell{'' if n_bad == 1 else 's'} that "
                         f"{'is' if n_bad == 1 else 'are'} infinite or larger "
                         f"than 10^15 (a million billion) in size (the first on line {row + 2}: "
                         f"{values[row, col]:g}); training on them can overflow: float32, the networks' number "
                         "format, stops at about 3.4e38. Fix or drop them before uploading.")
    labels = [c for c in df.columns if c not in numeric and 2 <= df[c].nunique() <= MAX_CLASSES and df[c].notna().all()]
    return df[[*numeric, *labels]]


def constant_columns(df: pd.DataFrame) -> list[str]:
    """Columns with a single value: standardizing them gives 0 everywhere (scale 1), so they carry nothing."""
    return [c for c in df.columns if df[c].nunique() <= 1]


def table_dataset(df: pd.DataFrame, target: str, val_fraction: float = 0.3, seed: int = 0,
                  name: str = "upload") -> Dataset:
    """Numeric columns other than `target` as features, `target` as class labels; a stratified, seeded split."""
    if target not in df.columns:
        raise ValueError(f"There is no column {target!r}; pick the target among {', '.join(map(repr, df.columns))}.")
    features = [c for c in df.select_dtypes("number").columns if c != target]
    if not features:
        raise ValueError("Besides the target there is no numeric column left to use as a feature.")
    if constant_columns(df[features]) == features:
        raise ValueError("Every feature column is constant: there is nothing to learn from.")
    labels = df[target] if pd.api.types.is_numeric_dtype(df[target]) else df[target].astype(str)
    classes, y = np.unique(labels.to_numpy(), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"The target column {target!r} is constant (one value only): there is nothing to predict.")
    if len(classes) > MAX_CLASSES:
        raise ValueError(f"The target column {target!r} has {len(classes)} distinct values; pick a column of class "
                         f"labels (2 to {MAX_CLASSES} distinct values).")
    counts = np.bincount(y)
    if counts.min() < 2:
        raise ValueError(f"Class {classes[counts.argmin()]!r} of {target!r} has a single row: every class needs "
                         "at least 2, one for training and one for validation.")
    return data.from_arrays(name, df[features].to_numpy(dtype=np.float64), y, tuple(features),
                            tuple(map(str, classes)), val_fraction, seed)


@dataclass(frozen=True)
class Source:
    """A bundled scikit-learn table by name, or an uploaded CSV (its name, bytes and target column)."""

    name: str = "wine"
    csv: bytes = field(default=b"", repr=False)
    target: str = ""

    def __post_init__(self) -> None:
        if not self.csv and self.name not in TABLES:
            raise ValueError(f"Pick a table: {', '.join(TABLES)}, or upload a CSV file.")


def load_source(src: Source) -> data.Dataset:
    """The table as train and validation tensors (70% / 30%, stratified, seed 0)."""
    if not src.csv:
        return data.load(data.DataConfig(src.name))
    return table_dataset(read_csv(src.name, src.csv), src.target, name=src.name)
