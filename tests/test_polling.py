"""Pages follow jobs through one `{% poll %}` tag, its interval from settings."""

from pathlib import Path

import pytest
from factories import UserFactory

from personastudio.generations.models import Generation

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_writes_its_own_polling_interval():
    found = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if 'hx-trigger="every' in path.read_text(encoding="utf-8")
    ]
    assert found == [], "use {% poll url %} (personastudio/templatetags/polling.py)"


@pytest.mark.django_db
def test_a_song_in_progress_is_polled_at_the_configured_interval_on_its_page_and_the_dashboard(client, settings):
    settings.PAGE_POLL_INTERVAL_S = 5
    user = UserFactory()
    client.force_login(user)
    song = Generation.objects.create(owner=user, mode="custom", title="Slow", prompt="[Verse]\nla la", tags="pop")
    status_url = f"/generations/{song.id}/status/"
    page = client.get(song.get_absolute_url()).content.decode()
    assert f'hx-get="{status_url}" hx-trigger="every 5s" hx-swap="outerHTML"' in page
    dashboard = client.get("/").content.decode()
    assert f'hx-get="/generations/{song.id}/progress/" hx-trigger="every 5s" hx-swap="innerHTML"' in dashboard
    assert "hx-select" not in dashboard  # its own fragment, not a piece of another page
