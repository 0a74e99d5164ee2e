"""Settings: choosing a hosted service, its key encrypted and never shown, "Test connection",
and objects that stay with the provider they were made on."""

import pytest
from cryptography.fernet import Fernet
from factories import make_clip
from werkzeug import Response

from personastudio.accounts import services
from personastudio.accounts.models import ProviderSettings
from personastudio.clips import services as clip_services
from personastudio.contract.errors import MusicApiError
from personastudio.personas.models import Persona

pytestmark = pytest.mark.django_db

KEY = "sk-mm-very-secret-key-1234"


@pytest.fixture(autouse=True)
def loopback_services_allowed(settings):
    """The fake hosted services here listen on loopback, which the studio refuses by default."""
    settings.MUSIC_API_ALLOW_PRIVATE = True


def _save_remote(client, base_url="https://api.example.com", api_key=KEY):
    return client.post("/accounts/settings/", {"provider": "remote", "base_url": base_url, "api_key": api_key})


def test_the_key_is_stored_encrypted_and_only_its_last_four_characters_are_shown(user_client):
    assert _save_remote(user_client).status_code == 302
    row = ProviderSettings.objects.get(user=user_client.user)
    assert KEY not in row.api_key_encrypted and row.api_key_last4 == "1234"
    assert services.provider_choice_for(user_client.user).api_key == KEY
    page = user_client.get("/accounts/settings/").content.decode()
    assert KEY not in page and "…1234" in page


def test_an_empty_key_field_keeps_the_saved_key(user_client):
    _save_remote(user_client)
    assert _save_remote(user_client, base_url="https://api.example.com/api/v1/", api_key="").status_code == 302
    choice = services.provider_choice_for(user_client.user)
    assert choice.api_key == KEY and choice.base_url == "https://api.example.com"


def test_a_hosted_service_needs_an_address_and_a_key(user_client):
    response = user_client.post("/accounts/settings/", {"provider": "remote", "base_url": "", "api_key": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter the address of the hosted service." in body and "Enter the API key" in body


def test_keys_can_be_rotated(user_client, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRET_ENCRYPTION_KEYS = [old]
    _save_remote(user_client)
    settings.SECRET_ENCRYPTION_KEYS = [new, old]
    assert services.rotate_secrets() == 1
    settings.SECRET_ENCRYPTION_KEYS = [new]
    assert services.provider_choice_for(user_client.user).api_key == KEY


def _test_connection(client, httpserver):
    return client.post(
        "/accounts/settings/test/", {"base_url": httpserver.url_for("/"), "api_key": KEY}
    ).content.decode()


def test_test_connection_reports_success(user_client, httpserver):
    httpserver.expect_request(
        "/api/v1/tasks", method="POST", headers={"Authorization": f"Bearer {KEY}"}
    ).respond_with_json({"code": 0, "message": "ok", "data": {"items": [], "total": 0, "page": 1}})
    assert "Connected" in _test_connection(user_client, httpserver)


@pytest.mark.parametrize(
    "reply, sentence",
    [
        (
            Response(
                '{"code": 401, "message": "Invalid API key", "data": null}', status=401, content_type="application/json"
            ),
            "Invalid API key",
        ),
        (Response("<html>Welcome to nginx</html>", status=200, content_type="text/html"), "not a MusicMint response"),
    ],
)
def test_test_connection_says_exactly_what_went_wrong(user_client, httpserver, reply, sentence):
    httpserver.expect_request("/api/v1/tasks", method="POST").respond_with_response(reply)
    body = _test_connection(user_client, httpserver)
    assert sentence in body and 'data-ok="false"' in body and KEY not in body


def test_test_connection_to_an_unreachable_host(user_client):
    body = user_client.post("/accounts/settings/test/", {"base_url": "http://127.0.0.1:9", "api_key": KEY}).content
    assert b"Could not reach the music service at 127.0.0.1" in body


def test_a_persona_from_the_built_in_engine_cannot_sing_on_a_hosted_service(user_client):
    persona = Persona.objects.create(
        owner=user_client.user, name="Mine", status="complete", provider="local", remote_id="persona-1"
    )
    _save_remote(user_client)
    response = user_client.post(
        "/generations/new/", {"mode": "custom", "prompt": "Keep my words", "persona": str(persona.id)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "was learned on the built-in engine and cannot sing on https://api.example.com" in body
    assert "Keep my words" in body
    assert Persona.objects.filter(pk=persona.pk).exists()  # switching deletes nothing


def test_a_hosted_service_fetches_a_clip_from_a_signed_url_only_when_the_app_has_a_public_address(
    user_client, settings, client
):
    clip = make_clip(user_client.user)
    settings.PUBLIC_BASE_URL = ""
    with pytest.raises(MusicApiError, match="PUBLIC_BASE_URL"):
        clip_services.clip_public_url(clip=clip)
    settings.PUBLIC_BASE_URL = "https://studio.example.com"
    url = clip_services.clip_public_url(clip=clip)
    assert url.startswith("https://studio.example.com/clips/shared/")
    client.logout()  # the service has no session
    path = url.removeprefix("https://studio.example.com")
    assert client.get(path).status_code == 200
    assert client.get(path.replace("/shared/", "/shared/x")).status_code == 404


def test_test_connection_never_sends_the_servers_key_or_a_saved_key_to_another_address(
    user_client, httpserver, settings
):
    settings.MUSIC_PROVIDER, settings.MUSIC_API_BASE_URL, settings.MUSIC_API_KEY = (
        "remote",
        "https://api.example.com",
        "sk-mm-server-owned-key",
    )
    body = user_client.post("/accounts/settings/test/", {"base_url": httpserver.url_for("/"), "api_key": ""})
    assert b"Enter the service address and an API key first." in body.content
    _save_remote(user_client)  # a key saved for api.example.com ...
    user_client.post("/accounts/settings/test/", {"base_url": httpserver.url_for("/"), "api_key": ""})
    assert not httpserver.log  # ... is not sent to another host either


def test_in_production_a_users_service_address_must_be_public(user_client, settings):
    settings.MUSIC_API_ALLOW_PRIVATE = False
    response = _save_remote(user_client, base_url="http://127.0.0.1:8080")
    assert response.status_code == 400 and b"private or local address" in response.content
    body = user_client.post("/accounts/settings/test/", {"base_url": "http://169.254.169.254", "api_key": KEY})
    assert b"private or local address" in body.content


def test_keys_saved_before_encryption_keys_were_configured_stay_readable(user_client, settings):
    settings.SECRET_ENCRYPTION_KEYS = []
    _save_remote(user_client)
    settings.SECRET_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert services.provider_choice_for(user_client.user).api_key == KEY
    assert services.rotate_secrets() == 1


def test_the_key_is_not_in_the_choices_repr(user_client):
    _save_remote(user_client)
    assert KEY not in repr(services.provider_choice_for(user_client.user))


def test_private_addresses_are_refused_by_default_even_on_a_development_machine():
    import importlib
    import os

    import personastudio.settings as project_settings

    saved = os.environ.pop("MUSIC_API_ALLOW_PRIVATE", None)
    try:
        assert importlib.reload(project_settings).MUSIC_API_ALLOW_PRIVATE is False
    finally:
        if saved is not None:
            os.environ["MUSIC_API_ALLOW_PRIVATE"] = saved
        importlib.reload(project_settings)
