"""How far a task's render is, as a fraction of the whole, reported at most once a second."""

from personastudio.engine.progress import STAGES, RenderProgress, Throttled


def _steps(variants=2, lines=4):
    for variant in range(variants):
        yield RenderProgress(variant, variants, "band", 0, 1)
        for done in range(lines + 1):
            yield RenderProgress(variant, variants, "singing", done, lines)
        yield RenderProgress(variant, variants, "mixing", 0, 1)
        yield RenderProgress(variant, variants, "saving", 0, 1)


def test_the_fraction_grows_with_every_step_from_zero_and_stays_below_one():
    fractions = [step.fraction for step in _steps()]
    assert fractions[0] == 0.0
    assert fractions == sorted(fractions) and fractions[-1] < 1.0


def test_the_second_take_starts_where_the_first_ends():
    assert RenderProgress(1, 2, "band", 0, 1).fraction == 0.5
    assert RenderProgress(0, 2, "singing", 2, 4).fraction < RenderProgress(0, 2, "mixing", 0, 1).fraction
    assert STAGES == ("band", "singing", "mixing", "saving")


def test_odd_figures_stay_between_zero_and_one():
    assert RenderProgress(5, 2, "saving", 9, 1).fraction == 1.0
    assert RenderProgress(0, 0, "singing", 1, 0).fraction >= 0.0
    assert RenderProgress(0, 2, "unknown").fraction == 0.0


def test_reports_pass_at_most_once_a_second():
    now = [100.0]
    heard = []
    throttled = Throttled(heard.append, every_s=1.0, clock=lambda: now[0])
    steps = list(_steps(variants=1, lines=3))
    for step in steps:  # a quarter of a second apart
        throttled(step)
        now[0] += 0.25
    assert heard[0] == steps[0]  # the first always
    assert len(heard) == len(steps[::4]) and heard == steps[::4]
