"""How long the studio waits before asking a provider again after it said "too many requests" (429).

Songs (generations) and personas (learning) both resubmit after a 429, with the same wait."""

from __future__ import annotations

import random

RATE_LIMIT_BACKOFF_S = (15.0, 600.0)  # a 429 without Retry-After: the shortest and longest wait before resubmitting


def rate_limit_wait_s(*, retry_after_s: float | None, waited_s: float) -> float:
    """How long to wait after a 429: what the service asked (Retry-After), else a backoff with jitter.

    Without a header the wait grows with how long the work has waited already (so waits roughly double),
    bounded by RATE_LIMIT_BACKOFF_S, and is jittered so requests turned away together don't return together."""
    if retry_after_s is not None:
        return max(float(retry_after_s), 1.0)
    low, high = RATE_LIMIT_BACKOFF_S
    return min(max(float(waited_s), low), high) * random.uniform(0.5, 1.0)
