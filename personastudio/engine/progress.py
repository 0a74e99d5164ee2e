"""How far a song's render is: the stage of which variant, as a fraction of the whole task. No Django.

``render_song`` reports (stage, done, total) for one variant; the engine's task adds which variant it is
and the "saving" stage (encoding the variant's MP3s and stems). ``Throttled`` passes on at most one
report a second, so a listener that writes a database row writes rarely.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# Where each stage starts and ends within one variant's render, as fractions of it (measured on 30 s and
# 90 s lyrics with the neural singer and the sampled band: the singing is most of it).
STAGE_SPANS = {
    "band": (0.0, 0.2),
    "singing": (0.2, 0.75),
    "mixing": (0.75, 0.85),
    "saving": (0.85, 1.0),
}
STAGES = tuple(STAGE_SPANS)
REPORT_EVERY_S = 1.0


@dataclass(frozen=True)
class RenderProgress:
    """Variant `variant` (0-based) of `variants` is in `stage`, `done` of `total` steps into it."""

    variant: int
    variants: int
    stage: str
    done: int = 0
    total: int = 1

    @property
    def fraction(self) -> float:
        """How much of the whole task is done, 0..1."""
        start, end = STAGE_SPANS.get(self.stage, (0.0, 0.0))
        within = min(max(self.done / self.total, 0.0), 1.0) if self.total > 0 else 0.0
        variants = max(self.variants, 1)
        variant = min(max(self.variant, 0), variants - 1)
        return min((variant + start + (end - start) * within) / variants, 1.0)


class Throttled:
    """Calls `listener` with a report at most once every `every_s` seconds (REPORT_EVERY_S unless given;
    the first report always)."""

    def __init__(
        self,
        listener: Callable[[RenderProgress], None],
        *,
        every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.listener, self.clock = listener, clock
        self.every_s = REPORT_EVERY_S if every_s is None else every_s
        self.last_s: float | None = None

    def __call__(self, progress: RenderProgress) -> None:
        now = self.clock()
        if self.last_s is not None and now - self.last_s < self.every_s:
            return
        self.last_s = now
        self.listener(progress)
