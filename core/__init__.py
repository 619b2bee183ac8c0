"""Pure Python + PyTorch building blocks and experiments of the lesson; never imports streamlit."""
import os
import sys

import torch

# The lesson's networks are tiny: one op takes microseconds, so splitting it across threads costs
# more than it saves, and when several students' sessions (or tests) share a few cores the threads
# fight over them. So torch uses one thread per process unless LESSON_THREADS says otherwise.
torch.set_num_threads(int(os.environ.get("LESSON_THREADS", "1")))

# Every torch.optim step imports torch._dynamo (the torch.compile machinery, for a graph break),
# and torch._dynamo imports Triton, the GPU kernel compiler, where it is installed: PyPI's torch
# wheel brings it along. Nothing here compiles, so Triton's memory would be spent for nothing:
# marked absent (Python's own "import raises ModuleNotFoundError" entry), torch carries on as on a
# machine without it (`python -m benchmarks --only memory` measures the difference).
# LESSON_TRITON=1 leaves it importable.
if os.environ.get("LESSON_TRITON") != "1":
    sys.modules.setdefault("triton", None)  # type: ignore[arg-type]  # None marks a module absent
