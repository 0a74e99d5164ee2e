"""A region of a clip (the waveform selection): checked against the clip before anything uses it."""

import numpy as np
import pytest
from factories import UserFactory, make_clip, sung_line

from personastudio.clips import services
from personastudio.clips.models import Clip, clock_label, format_region

pytestmark = pytest.mark.django_db

SR = 22050


@pytest.fixture
def clip():
    # 4 s of silence, 16 s of singing, 4 s of silence.
    silence = np.zeros(4 * SR, np.float32)
    return make_clip(UserFactory(), samples=np.concatenate([silence, sung_line(seconds=16), silence]))


def test_no_bounds_means_the_whole_clip(clip):
    assert services.clip_region(clip=clip, start_s=None, end_s=None) is None


def test_a_region_inside_the_clip_is_kept_to_the_hundredth(clip):
    region = services.clip_region(clip=clip, start_s=4.004, end_s=12.5)
    assert (region.start_s, region.end_s) == (4.0, 12.5)
    assert region.length_s == pytest.approx(8.5) and region.label == "0:04–0:12.5"


def test_a_missing_end_is_the_clips_end_and_a_missing_start_is_zero(clip):
    assert services.clip_region(clip=clip, start_s=5, end_s=None).end_s == pytest.approx(clip.duration_s, abs=0.01)
    assert services.clip_region(clip=clip, start_s=None, end_s=7).start_s == 0


def test_a_region_covering_the_whole_clip_is_the_whole_clip(clip):
    assert services.clip_region(clip=clip, start_s=0, end_s=clip.duration_s + 0.04) is None


@pytest.mark.parametrize(
    "start, end, field, words",
    [
        (-1, 5, "vocal_start_s", "before 0:00"),
        (2, 99, "vocal_end_s", "0:24 long"),
        (8, 8, "vocal_end_s", "end after it starts"),
        (9, 3, "vocal_end_s", "later than 0:09"),
        (float("nan"), 3, "vocal_end_s", "in seconds"),
        (30, None, "vocal_start_s", "start the region before 0:24"),
        (30, 40, "vocal_start_s", "start the region before 0:24"),
    ],
)
def test_it_refuses_a_region_that_does_not_fit_the_clip_and_says_where(clip, start, end, field, words):
    with pytest.raises(services.RegionRejected) as caught:
        services.clip_region(clip=clip, start_s=start, end_s=end)
    assert caught.value.field == field and words in str(caught.value)


def test_voiced_seconds_are_measured_in_the_region_only(clip):
    singing = services.clip_region_voiced_s(clip=clip, region=services.Region(4.0, 20.0))
    silence = services.clip_region_voiced_s(clip=clip, region=services.Region(0.0, 3.9))
    assert singing == pytest.approx(clip.voiced_s, abs=1.5) and singing > 12
    assert silence == 0
    # Asked only whether there is enough, it may stop counting early.
    assert services.clip_region_voiced_s(clip=clip, region=services.Region(4.0, 20.0), enough_s=5) >= 5


def test_times_read_like_a_clock():
    assert clock_label(12) == "0:12" and clock_label(94.54) == "1:34.5" and clock_label(0) == "0:00"
    assert format_region(12, 34.5) == "0:12–0:34.5"


def test_a_clip_says_which_part_was_separated():
    clip = Clip(separation_start_s=12, separation_end_s=34)
    assert clip.separation_region_label == "0:12–0:34"
    assert Clip().separation_region_label == ""


def test_the_clip_page_tells_the_region_panel_the_personas_limits(clip, client, settings):
    # The persona app's template tag supplies them (the clips app does not import the personas app).
    settings.ENGINE_MIN_VOICED_S = 12.5
    client.force_login(clip.owner)
    page = client.get(clip.get_absolute_url()).content.decode()
    assert 'data-persona-min="12.5"' in page and 'data-persona-ideal-max="30"' in page
