"""Altair chart builders for the whole app: a tidy DataFrame in, a chart out, one palette, one theme.

Three layers, each importing only the ones above it:
- `core/charts/theme.py`: the palette, `style()`, the point budget (`thin`) and the small helpers
  every builder shares (`colour_by`, `in_order`, `tint`, `half_step`);
- `core/charts/shared.py`: builders several chapters use (curves, decision maps, confusion matrices, bars);
- `core/charts/<chapter>.py` (the zoo's in `core/charts/<architecture>.py`): each chapter's own builders.

This package file only re-exports, so pages keep writing `charts.<builder>`; the zoo pages import
their architecture's module directly (`from core.charts import cnn as cnn_charts`).
"""
from __future__ import annotations

from core.charts.gradients import colorful_dimension, layer_heat, per_layer, quantile_bands
from core.charts.more_data import accuracy_by_size
from core.charts.neurons import ACTIVE_SHADE, FUNCTION_DASH, activation_panels, function_fits, neuron_map
from core.charts.optimization import cosine_strips, landscape, lr_finder, rate_map, step_sizes
from core.charts.preprocessing import CHANNEL_COLOURS, channel_histograms, feature_boxes, loss_contours, strips
from core.charts.regularization import (
    STOP_DASH,
    gap_curves,
    marked_curves,
    ranked_bars,
    update_curves,
    weight_histograms,
)
from core.charts.shared import bars, boundary, confusion, curves, iteration_loss, lines
from core.charts.theme import (
    BLUE,
    BOUNDARY_RANGE,
    GRID_CELLS,
    HEIGHT,
    MAX_POINTS,
    NEUTRAL,
    ORANGE,
    PALETTE,
    SPLIT_DASH,
    SPLIT_KEY,
    style,
    thin,
)

__all__ = [
    # theme
    "BLUE", "BOUNDARY_RANGE", "GRID_CELLS", "HEIGHT", "MAX_POINTS", "NEUTRAL", "ORANGE", "PALETTE",
    "SPLIT_DASH", "SPLIT_KEY", "style", "thin",
    # shared builders
    "bars", "boundary", "confusion", "curves", "iteration_loss", "lines",
    # chapters
    "accuracy_by_size",
    "ACTIVE_SHADE", "FUNCTION_DASH", "activation_panels", "function_fits", "neuron_map",
    "CHANNEL_COLOURS", "channel_histograms", "feature_boxes", "loss_contours", "strips",
    "colorful_dimension", "layer_heat", "per_layer", "quantile_bands",
    "cosine_strips", "landscape", "lr_finder", "rate_map", "step_sizes",
    "STOP_DASH", "gap_curves", "marked_curves", "ranked_bars", "update_curves", "weight_histograms",
]
