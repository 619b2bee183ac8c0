"""Pure Python + PyTorch building blocks and experiments of the lesson; never imports streamlit."""
import os

import torch

# The lesson's networks are tiny: one op takes microseconds, so splitting it across threads costs
# more than it saves, and when several students' sessions (or tests) share 2 cores the threads
# fight: measured here, the learning-cycle page's default runs took 0.4 s with 1 thread and 10 s
# with 2 under load. So torch uses one thread per process unless LESSON_THREADS says otherwise.
torch.set_num_threads(int(os.environ.get("LESSON_THREADS", "1")))
