"""Which stock style a persona sings with: the register's own unless another is heard clearly closer.

No voice is sung here: the probes are stand-ins whose similarity to the clip is given, so the rule
itself is tested (the fit with the real voice: test_fit.py).
"""

import numpy as np

from personastudio.engine.voice import fit, kokoro


class _GivenProbe:
    """A probe of `lines` lines that hears each style at the similarity `heard_as` gives it."""

    def __init__(self, lines: int, heard_as: dict[bytes, float], log: list):
        self.texts = fit.PROBE_LINES[:lines]
        self.heard_as, self.log = heard_as, log

    def embed(self, style):
        sim = self.heard_as[np.asarray(style, dtype=np.float64).tobytes()]
        self.log.append((len(self.texts), sim))
        return np.array([sim, np.sqrt(1.0 - sim**2)]), np.zeros(3)


def _choose(monkeypatch, first_line: dict[str, float], all_lines: dict[str, float]):
    """The style name the search starts from, and (lines, similarity) of every probe heard."""
    monkeypatch.setattr(kokoro, "stock_style_name", lambda register: "am_own")
    styles = {name: np.full(256, i, dtype=np.float64) for i, name in enumerate(first_line)}
    key = {name: style.tobytes() for name, style in styles.items()}
    log: list = []
    search = fit._Search(
        screen=_GivenProbe(1, {key[n]: s for n, s in first_line.items()}, log),
        probe=_GivenProbe(len(fit.PROBE_LINES), {key[n]: s for n, s in all_lines.items()}, log),
        target=np.array([1.0, 0.0]),
        bank={},
        register="male",
        budget=fit.FIT_EVALUATIONS,
        check_words=False,
        progress=lambda fraction: None,
    )
    start, _heard, stock_heard = search.closest_stock(styles)
    chosen = next(name for name, style in styles.items() if np.array_equal(style, start))
    assert stock_heard is not None  # the register's own style is always heard on every line
    return chosen, log


def test_another_style_only_a_little_closer_leaves_the_registers_own(monkeypatch):
    own = 0.80
    chosen, _log = _choose(
        monkeypatch,
        first_line={"am_own": 0.7, "am_near": 0.75},
        all_lines={"am_own": own, "am_near": own + fit.STYLE_MARGIN * 0.6},
    )
    assert chosen == "am_own"


def test_a_style_clearly_closer_on_every_line_is_chosen(monkeypatch):
    own = 0.80
    chosen, _log = _choose(
        monkeypatch,
        first_line={"am_own": 0.7, "am_far": 0.6, "am_clear": 0.75},
        all_lines={"am_own": own, "am_far": 0.7, "am_clear": own + fit.STYLE_MARGIN * 1.5},
    )
    assert chosen == "am_clear"


def test_many_styles_are_screened_on_one_line_and_the_closest_heard_on_all(monkeypatch):
    others = {f"am_{i:02d}": 0.5 + 0.01 * i for i in range(10)}
    first_line = {"am_own": 0.4, **others}
    # On every line the best of the first line's shortlist is clearly closer than the register's own.
    all_lines = {"am_own": 0.6, **{name: 0.6 + 0.01 * i for i, name in enumerate(others)}}
    chosen, log = _choose(monkeypatch, first_line, all_lines)
    screened = [sim for lines, sim in log if lines == 1]
    full = [sim for lines, sim in log if lines > 1]
    assert len(screened) == len(others)  # the register's own style needs no screening: it is always heard
    assert len(full) == fit.SHORTLIST
    assert chosen == "am_09"  # the first line's closest, heard closest on all lines


def test_a_budget_of_one_hears_only_the_registers_own_style_on_one_line(monkeypatch):
    monkeypatch.setattr(fit, "FIT_EVALUATIONS", 1)
    chosen, log = _choose(monkeypatch, {"am_own": 0.7, "am_other": 0.9}, {"am_own": 0.8, "am_other": 0.95})
    assert chosen == "am_own" and log == [(1, 0.7)]
