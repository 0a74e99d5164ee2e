"""A part of a page loaded when asked (here a persona card's player) that cannot be fetched says so in its
place and offers to try again: a dropped connection, then a server error, then it loads."""

import pytest
from factories import log_in_browser, make_clip, tone

from personastudio.personas.models import Persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_player_that_could_not_be_fetched_says_so_and_loads_when_tried_again(page, live_server):
    page.set_default_timeout(20_000)
    user = log_in_browser(page, live_server)
    take = make_clip(user, title="Harbour take", samples=tone(seconds=3))
    persona = Persona.objects.create(owner=user, name="Ada", source_clip=take, status="complete")
    answers = ["abort", "500"]  # what the first two requests for the player meet

    def flaky(route):
        what = answers.pop(0) if answers else "pass"
        if what == "abort":
            route.abort()
        elif what == "500":
            route.fulfill(status=500, body="Server Error")
        else:
            route.continue_()

    page.route("**/clips/*/player", flaky)
    page.goto(f"{live_server.url}/personas/")
    card = page.locator(f'article.persona-card[data-id="{persona.id}"]')
    card.get_by_role("button", name="Play “Harbour take”").click()
    alert = card.get_by_role("alert")
    alert.wait_for()
    assert "could not be loaded" in alert.inner_text()
    first_button = card.get_by_role("button", name="Try again").element_handle()
    first_button.click()  # meets the server error: says so again, with a new button
    page.wait_for_function("(old) => !old.isConnected", arg=first_button)
    assert card.locator("[data-load-failed]").count() == 1 and not answers
    card.get_by_role("button", name="Try again").click()
    card.locator('figure.player[data-waveform="ready"]').wait_for()
    assert card.locator("[data-load-failed]").count() == 0
    assert card.get_by_role("link", name="Download").is_visible()
