"""On a phone-wide screen a persona card's "Play the clip" fetches the clip's waveform player into the card,
which then plays; the page loads no player before that."""

import pytest
from factories import log_in_browser, make_clip, tone

from personastudio.personas.models import Persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_play_the_clip_loads_the_player_into_the_card_on_a_phone(page, live_server):
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 375, "height": 740})
    user = log_in_browser(page, live_server)
    take = make_clip(user, title="Harbour take", samples=tone(seconds=3))
    persona = Persona.objects.create(owner=user, name="Ada", source_clip=take, status="complete")
    page.goto(f"{live_server.url}/personas/")
    card = page.locator(f'article.persona-card[data-id="{persona.id}"]')
    assert page.locator("figure.player").count() == 0
    play = card.get_by_role("button", name="Play “Harbour take”")
    assert play.is_visible()
    play.click()
    card.locator('figure.player[data-waveform="ready"]').wait_for()
    assert page.url == f"{live_server.url}/personas/"  # fetched into the card, not a new page
    assert card.get_by_role("link", name="Download").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
