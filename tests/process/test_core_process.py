"""Process-wide settings that `import core` makes (core/__init__.py), checked in fresh interpreters."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
import core, torch
model = torch.nn.Linear(3, 1)
opt = torch.optim.Adam(model.parameters(), lr=0.1)  # the optimizer path every training page takes
before = model.weight.detach().clone()
model(torch.ones(4, 3)).sum().backward()
opt.step()
print(json.dumps({"threads": torch.get_num_threads(), "triton": sys.modules.get("triton") is not None,
                  "dynamo": "torch._dynamo" in sys.modules, "stepped": float((model.weight - before).abs().min())}))
"""


def _probe(**env: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**os.environ, **env, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_torch_thread_and_no_triton_by_default():
    seen = _probe()
    assert (seen["threads"], seen["triton"], seen["dynamo"]) == (1, False, True)
    assert abs(seen["stepped"] - 0.1) < 1e-6  # Adam's first step moves every weight by lr, Triton or not


def test_the_environment_can_ask_for_more_threads_and_for_triton():
    seen = _probe(LESSON_THREADS="2", LESSON_TRITON="1")
    assert seen["threads"] == 2
    try:
        installed = bool(version("triton"))
    except PackageNotFoundError:
        installed = False
    assert seen["triton"] == installed  # imported again wherever it is installed


CHROME_PROBE = """
import gc, json
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("Home.py", default_timeout=120).run()
at.run()  # Streamlit imports a few modules more on a rerun
first = (gc.get_freeze_count(), len(gc.get_objects()))
at.run()  # now nothing new is imported: nothing more to freeze
print(json.dumps({"frozen": first[0], "tracked": first[1], "frozen_after_rerun": gc.get_freeze_count(),
                  "exception": bool(at.exception)}))
"""


def test_the_first_run_freezes_what_the_imports_made_so_that_each_rerun_gc_walks_little():
    out = subprocess.run([sys.executable, "-c", CHROME_PROBE], cwd=REPO, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert not seen["exception"]
    assert seen["frozen"] > 100_000 and seen["frozen"] > 5 * seen["tracked"]  # Streamlit's gc.collect() walks the rest
    assert seen["frozen_after_rerun"] <= seen["frozen"]  # frozen objects can still be freed, none are added
