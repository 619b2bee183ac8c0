"""The benchmark harness runs end to end at tiny sizes and reports every figure; speed itself is its job, not ours."""
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from benchmarks import workloads
from benchmarks.__main__ import main
from core.training import TrainConfig, fit

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "pages.Home.cold_s", "pages.Home.warm_s", "pages.Home.compute_s", "memory.peak_rss_mb",
    "training.speedup_vs_dataloader", "training.core_s", "training.dataloader_s", "training.batched_speedup",
    "training.live_epochs_per_s",
    *(PLAYGROUND := ("training.playground_epochs_per_s", "training.live_vs_playground")),
    "landscapes.race_s", "augment.grid_s", "home.more_data_s",
    "zoo.gan_steps_per_redraw", "zoo.gan_redraws_per_s", "zoo.gan_steps_per_s",
    "zoo.transformer_worked_s", "zoo.transformer_sample_s", "zoo.cnn_click_s", "zoo.cnn_explorer_s",
    "play.output_map_ms", "play.unit_maps_ms", "play.unit_maps_ratio",
    "zoo.gan_step_s",
}
HAS_PLAYGROUND = shutil.which("node") is not None and workloads.PLAYGROUND.exists()


def test_quick_run_writes_every_figure_as_a_positive_number(tmp_path):
    # Without node (or the Playground engine beside the project) its two figures are errors and the run exits 1.
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--device", "cpu", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == (0 if HAS_PLAYGROUND else 1), done.stdout + done.stderr[-3000:]
    report = json.loads(out.read_text())
    figures = report["figures"]
    assert figures.keys() >= KEYS
    if not HAS_PLAYGROUND:
        assert all(figures.pop(k) is None and "needs `node`" in report["checks"][k]["note"] for k in PLAYGROUND)
    assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in figures.values()), figures
    ratio = figures["training.dataloader_s"] / figures["training.core_s"]
    assert figures["training.speedup_vs_dataloader"] == pytest.approx(ratio)
    assert report["device"] in done.stdout.splitlines()[0]  # the table's header names the device
    assert all(name in done.stdout for name in KEYS)


def test_only_keeps_the_figures_with_that_prefix(tmp_path):
    out = tmp_path / "live.json"
    assert main(["--quick", "--device", "cpu", "--only", "training.live_epochs", "--json", str(out)]) == 0
    assert list(json.loads(out.read_text())["figures"]) == ["training.live_epochs_per_s"]


@pytest.mark.parametrize("n_train", [500, 1000])
def test_moons_has_exactly_the_asked_training_samples(n_train):
    assert len(workloads.moons(n_train).x_train) == n_train


def test_the_textbook_baseline_learns_as_well_as_the_trainer():
    # A fair race: the DataLoader loop does the same training, so its accuracy ends close to the trainer's.
    data, cpu = workloads.moons(1000), torch.device("cpu")
    # (train, validation) loss and accuracy per epoch
    history = workloads.textbook_fit(workloads.SPEC, data, epochs=20, device=cpu)
    ours = fit(workloads.SPEC, data, TrainConfig(epochs=20, batch_size=32, lr=0.1), cpu).final("accuracy")["model"]
    assert history[-1][0] < history[0][0] / 2
    assert history[-1][1] == pytest.approx(ours, abs=0.05)


def test_a_page_that_raises_is_reported_as_an_error_not_a_time(tmp_path):
    page = tmp_path / "Broken.py"
    page.write_text("raise ValueError('boom')\n")
    cold, warm, compute = workloads.pages([page])
    assert (cold.name, cold.value, cold.ok) == ("pages.Broken.cold_s", None, "error")
    assert "boom" in cold.note and warm.ok == compute.ok == "error"


@pytest.mark.parametrize("value, target, ok", [
    (3.5, ">= 3", "yes"), (2.5, ">= 3", "NO"), (0.2, "<= 0.3", "yes"), (0.4, "<= 0.3", "NO"),
    (700.0, "state", "-"), (None, "<= 2", "error"),
])
def test_ok_column_compares_the_value_with_its_target(value, target, ok):
    assert workloads.Figure("x", value, "s", target).ok == ok


def test_the_reliability_benchmark_gives_each_student_a_recipe_of_their_own():
    # The eight heavy trainings must differ (a shared recipe would be one training, cached for the others).
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from benchmarks import reliability

    recorded = BackMsg()
    recorded.rerun_script.query_string = "fcn-own=true"
    recorded.rerun_script.widget_states.widgets.extend([
        WidgetState(id="$$ID-abc-fcn-seed", int_value=0), WidgetState(id="$$ID-def-fcn-up", string_value="x"),
        WidgetState(id="$$ID-123-fcn-own-run-start", trigger_value=True)])
    made = [BackMsg.FromString(reliability._for_recipe(recorded.SerializeToString(), up, seed))
            for up, seed in reliability.HEAVY_RECIPES]
    keys = {(m.rerun_script.query_string, *(str(w).strip() for w in m.rerun_script.widget_states.widgets))
            for m in made}
    assert len(reliability.HEAVY_RECIPES) == len(keys) == 8
    seeds = [next(w.int_value for w in m.rerun_script.widget_states.widgets if w.id.endswith("-fcn-seed"))
             for m in made]
    assert sorted(set(seeds)) == [0, 1, 2, 3] and all(m.rerun_script.widget_states.widgets[2].trigger_value
                                                      for m in made)
    assert "fcn-seed=3" in made[-1].rerun_script.query_string
