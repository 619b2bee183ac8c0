"""How fast one tab may rerun the app: a token bucket per session (issue 19, the rerun flood).

A person moving sliders and pressing buttons reruns a page a few times a second at most; a script
sending rerun messages over four websockets locked a whole class out (health checks took 11.6 s).
Each rerun takes a token; tokens come back at RATE a second up to BURST. A rerun without a token is
held back in the server's message handler, before any script starts (ui/streamlit_internals.pace_reruns),
and runs when a token is back; a held rerun without a button press is replaced by the next one, since each
carries all of the tab's widget values. (Stopping it at the top of the page instead still cost a
script start per message; making it wait for its token inside the script let four flooding tabs slow the
others' warm pages to 21 s.)
This bounds what one tab costs the server; a reverse proxy's rate limit in front of a self-hosted
server bounds the connections themselves (docs/deploy.md).
"""
from __future__ import annotations

from dataclasses import dataclass

BURST = 20  # reruns at once: a burst of clicks, a slider dragged and released
RATE = 1.0  # reruns a second, sustained: each one let through is still a whole page's run on the server
HELD = 20  # reruns with a button press in them held back per tab, each to run in turn; more are merged


@dataclass
class Bucket:
    tokens: float = BURST
    last: float | None = None  # time.monotonic() of the last rerun


def allow(bucket: Bucket, now: float) -> bool:
    """Take a token for a rerun at `now` if there is one; refill first by the time passed."""
    if bucket.last is not None:
        bucket.tokens = min(BURST, bucket.tokens + (now - bucket.last) * RATE)
    bucket.last = now
    if bucket.tokens < 1:
        return False
    bucket.tokens -= 1
    return True


def wait_s(bucket: Bucket) -> float:
    """Seconds until the bucket has a token again (0 if it has one)."""
    return max(0.0, (1 - bucket.tokens) / RATE)
