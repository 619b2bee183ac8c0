"""Pure Python + PyTorch building blocks and experiments of the lesson; never imports streamlit."""
import os
import sys

import torch

# The lesson's networks are tiny: one op takes microseconds, so splitting it across threads costs
# more than it saves, and when several students' sessions (or tests) share 2 cores the threads
# fight: measured here, the learning-cycle page's default runs took 0.4 s with 1 thread and 10 s
# with 2 under load. So torch uses one thread per process unless LESSON_THREADS says otherwise.
torch.set_num_threads(int(os.environ.get("LESSON_THREADS", "1")))

# Every torch.optim step imports torch._dynamo (the torch.compile machinery, for a graph break),
# and torch._dynamo imports Triton, the GPU kernel compiler, where it is installed: PyPI's torch
# wheel brings it along. Nothing here compiles, so Triton is 75 MB of memory per server for
# nothing: marked absent (Python's own "import raises ModuleNotFoundError" entry), torch carries
# on as on a machine without it, and the first optimizer step costs 86 MB instead of 152 MB.
# LESSON_TRITON=1 leaves it importable.
if os.environ.get("LESSON_TRITON") != "1":
    sys.modules.setdefault("triton", None)
