"""Every answer carries the security headers: a Content-Security-Policy with no inline or eval'd script,
Referrer-Policy, X-Content-Type-Options and X-Frame-Options; on pages, htmx fragments and the API alike."""

from pathlib import Path

import pytest
from factories import UserFactory

from personastudio.generations.models import Generation

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def _policy(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


def _assert_hardened(response):
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no nonce
    assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.fixture
def owner_client(client):
    client.user = UserFactory()
    client.force_login(client.user)
    return client


def test_the_login_page_carries_the_headers(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    _assert_hardened(response)


@pytest.mark.parametrize(
    "url", ["/", "/clips/", "/personas/", "/personas/new/", "/generations/", "/generations/new/", "/accounts/settings/"]
)
def test_every_main_page_carries_the_headers(owner_client, url):
    response = owner_client.get(url)
    assert response.status_code == 200
    _assert_hardened(response)


def test_a_page_hands_its_style_nonce_to_the_scripts_and_the_policy(owner_client):
    response = owner_client.get("/generations/new/")
    nonce = response.wsgi_request.csp_nonce
    assert f'<meta name="csp-nonce" nonce="{nonce}">' in response.content.decode()
    assert f"'nonce-{nonce}'" in _policy(response)["style-src"]
    assert f"'nonce-{nonce}'" not in _policy(response)["script-src"]
    # htmx is told to evaluate nothing and to add no <style> of its own.
    assert '{"allowEval": false, "includeIndicatorStyles": false}' in response.content.decode()


def test_an_htmx_fragment_carries_the_headers(owner_client):
    song = Generation.objects.create(owner=owner_client.user, title="Harbour", status="completed")
    response = owner_client.get(f"/generations/{song.id}/status/", headers={"HX-Request": "true"})
    assert response.status_code == 286
    _assert_hardened(response)


def test_the_api_carries_the_headers(client):
    response = client.post("/api/v1/tasks", data={}, content_type="application/json")
    assert response.status_code == 401
    _assert_hardened(response)


def test_no_template_or_script_has_inline_script_handlers_or_javascript_urls():
    """What the policy would block: inline <script> (other than JSON data), on*= handlers, javascript: URLs,
    eval-like calls. Kept out of the source so that no page depends on them."""
    import re

    offences = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("personastudio/**/templates/**/*.html")]:
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0) and "application/json" not in match.group(0):
                offences.append(f"{path}: {match.group(0)}")
        offences += [f"{path}: {m.group(0)}" for m in re.finditer(r"\son[a-z]+\s*=|javascript:|hx-on", text)]
    for path in ROOT.glob("static/js/*.js"):
        text = path.read_text()
        offences += [
            f"{path}: {m.group(0)}"
            for m in re.finditer(
                r"\beval\(|new Function\(|set(?:Timeout|Interval)\(\s*[\"'`]|javascript:|\.innerHTML\s*=|"
                r"setAttribute\(\s*[\"'](?:on[a-z]+|style)[\"']",
                text,
            )
        ]
    assert offences == []
