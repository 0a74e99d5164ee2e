"""Titles and names are one line: control characters pasted into them become spaces."""

import pytest
from factories import UserFactory, make_clip, tone

from personastudio.text import one_line


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("Evening\nwind", "Evening wind"),
        ("\tTabbed  title\r\n", "Tabbed title"),
        ("Bell\x07 and\x1b[0m escape", "Bell and [0m escape"),
        ("晚风\u2028吹过", "晚风 吹过"),
        ("Emoji 👩‍🎤 stays", "Emoji 👩‍🎤 stays"),  # the zero-width joiner is part of the emoji
        ("\x00\x01", ""),
    ],
)
def test_one_line(typed, kept):
    assert one_line(typed) == kept


@pytest.mark.django_db
def test_a_renamed_clip_and_a_new_song_keep_one_line_titles(client):
    user = UserFactory()
    client.force_login(user)
    clip = make_clip(user, samples=tone(seconds=1))
    client.post(f"/clips/{clip.id}/rename/", {"title": "First\nline\x1b"})
    clip.refresh_from_db()
    assert clip.title == "First line"
    client.post("/generations/new/", {"mode": "custom", "title": "Song\r\ntitle", "prompt": "la"})
    assert user.generations.get().title == "Song title"
