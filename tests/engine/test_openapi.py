"""Issue 14: /api/v1/openapi.json publishes the API as OpenAPI 3.1 (our extensions marked), and
schemathesis fuzzes the API against it: no 5xx, and every answer matches the document.

The fuzz runs in-process through Django's WSGI application, authenticated with a real API key.
Nothing may connect anywhere: name lookups and connections are blocked (an `audio_url` the fuzz makes
up is refused before any traffic), and no worker runs, so a queued song is never rendered.
"""

import json

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.urls import URLPattern, get_resolver
from factories import UserFactory
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as openapi_checks

from personastudio.contract.errors import RateLimited
from personastudio.contract.types import (
    PERSONA_INFLUENCE_DEFAULT,
    PERSONA_INFLUENCE_MAX,
    PERSONA_INFLUENCE_MIN,
    PROMPT_MAX_CHARS,
    RETENTION_DAYS_MAX,
    TASK_STATUSES,
)
from personastudio.engine import services
from personastudio.engine.api.envelope import error_envelope
from personastudio.engine.api.openapi import EXTENSION, openapi_document
from personastudio.engine.models import EngineTask

pytestmark = pytest.mark.django_db(transaction=True)

CREATING = ("/music/generate", "/music/persona", "/music/upload", "/music/stem")


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")  # no log-in, no key
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()


def _api_routes() -> set[str]:
    """Every route /api/v1/ serves, spelled as an OpenAPI path ("task/<str:task_id>" -> "/task/{task_id}")."""
    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns if str(p.pattern) == "api/v1/")
    routes = set()
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name == "unknown":
            continue
        route = str(pattern.pattern)
        for converter in ("str:", "int:", "slug:", "path:"):
            route = route.replace(f"<{converter}", "<")
        routes.add("/" + route.replace("<", "{").replace(">", "}"))
    return routes


def test_the_document_is_valid_openapi_3_1_and_served_without_a_log_in(document):
    validate(document)  # raises on any error
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "/api/v1", "description": "This server."}]


def test_the_document_describes_every_endpoint_the_api_serves(document):
    assert set(document["paths"]) == _api_routes()


def test_every_keyed_endpoint_takes_the_bearer_key_and_the_signed_links_take_none(document):
    assert document["components"]["securitySchemes"]["apiKey"] == {
        **document["components"]["securitySchemes"]["apiKey"],
        "type": "http",
        "scheme": "bearer",
    }
    assert document["security"] == [{"apiKey": []}]
    for path, item in document["paths"].items():
        for operation in item.values():
            if path.startswith(("/files/", "/covers/", "/openapi.json")):
                assert operation["security"] == []
            else:
                assert "security" not in operation and "401" in operation["responses"], path


def test_our_extensions_are_marked_and_the_public_reference_is_not(document):
    paths, schemas = document["paths"], document["components"]["schemas"]
    for path in ("/music/sheet", "/music/parts", "/music/persona/phrase"):
        operation = paths[path]["get"]
        assert operation[EXTENSION] is True and "(ours)" in operation["description"]
    for path in ("/music/generate", "/music/persona", "/music/upload", "/music/stem", "/tasks"):
        assert EXTENSION not in paths[path]["post"]
    assert EXTENSION not in paths["/task/{task_id}"]["get"]
    assert paths["/music/upload"]["post"]["requestBody"]["content"]["multipart/form-data"][EXTENSION] is True
    assert schemas["UploadFile"][EXTENSION] is True
    stem = schemas["StemResult"]["properties"]
    assert {name for name, field in stem.items() if field.get(EXTENSION)} == {
        "instrumental_audio_url",
        "vocal_clip_id",
        "instrumental_clip_id",
    }
    assert schemas["PersonaRequest"]["properties"]["verification_clip_id"][EXTENSION] is True
    assert EXTENSION not in schemas["PersonaRequest"]["properties"]["clip_id"]


def test_the_limits_and_enums_are_the_ones_the_views_check(document, settings):
    schemas = document["components"]["schemas"]
    generate = schemas["GenerateRequest"]["properties"]
    assert generate["prompt"]["maxLength"] == PROMPT_MAX_CHARS
    assert generate["retention_days"]["maximum"] == RETENTION_DAYS_MAX
    assert schemas["TaskInfo"]["properties"]["status"]["enum"] == list(TASK_STATUSES)
    assert schemas["TaskListRequest"]["properties"]["page"]["maximum"] == services.MAX_TASK_PAGE
    sheet_formats = document["paths"]["/music/sheet"]["get"]["parameters"][1]["schema"]["enum"]
    assert sheet_formats == list(services.SHEET_FORMATS)
    settings.ENGINE_UPLOAD_MAX_MB = 7
    upload = openapi_document()["paths"]["/music/upload"]["post"]["requestBody"]["description"]
    assert "up to 7 MB" in upload


def test_creating_endpoints_document_429_with_retry_after_and_the_error_envelope(document):
    rate_limited = document["components"]["responses"]["RateLimited"]
    assert rate_limited["headers"]["Retry-After"]["required"] is True
    error = rate_limited["content"]["application/json"]["schema"]
    assert error["properties"]["code"] == {"const": 429, "description": "The HTTP status, repeated."}
    assert set(error["required"]) == {"code", "message", "request_id", "data"}
    for path in CREATING:
        responses = document["paths"][path]["post"]["responses"]
        assert responses["429"] == {"$ref": "#/components/responses/RateLimited"}
        assert responses["413"] == {"$ref": "#/components/responses/PayloadTooLarge"}


def test_the_document_holds_no_secret_and_no_host(document, settings):
    text = json.dumps(document)
    assert settings.SECRET_KEY not in text
    assert "sk-mm-" in text and "sk-mm-" + "a" not in text  # the key's form, never a key
    assert "http://" not in text and "https://" not in text.replace("https://example.com", "")


def test_a_method_an_endpoint_does_not_take_is_405_with_allow():
    client = Client()
    key = services.key_create(user=UserFactory())
    response = client.delete("/api/v1/music/generate", HTTP_AUTHORIZATION=f"Bearer {key}")
    body = response.json()
    assert response.status_code == 405 and body["code"] == 405 and response["Allow"] == "POST"
    assert body["message"] == "Use POST for this endpoint."
    assert client.post("/api/v1/openapi.json")["Allow"] == "GET"
    signed = client.post("/api/v1/covers/abc.svg?exp=1&sig=x")  # not a CSRF refusal: the wrong method
    assert signed.status_code == 405 and "GET" in signed["Allow"]


def test_an_address_under_the_api_that_is_no_endpoint_is_a_404_in_the_envelope(client):
    for path in ("/api/v1/", "/api/v1/music/nothing", "/api/v1/task/a/b"):
        response = client.post(path)
        body = response.json()
        assert response.status_code == 404 and body["code"] == 404 and "openapi.json" in body["message"]


def test_generate_refuses_a_number_or_false_where_text_goes():
    """Found writing the document (text fields are strings or null): `title: 0` or any other falsy
    non-string was taken as no title and the song queued."""
    client = Client()
    key = services.key_create(user=UserFactory())
    for value in (0, False, [], {}):
        response = client.post(
            "/api/v1/music/generate",
            data=json.dumps({"tags": "pop", "title": value}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 400 and response.json()["message"] == "'title' must be a string."
    assert not EngineTask.objects.exists()


def test_retry_after_is_whole_seconds_rounded_up():
    """Found by the document's Retry-After minimum of 1: 0.4 s was sent as "0", an invitation to retry at once."""
    assert error_envelope(RateLimited("Slow down.", retry_after_s=0.4))["Retry-After"] == "1"
    assert error_envelope(RateLimited("Slow down.", retry_after_s=61.2))["Retry-After"] == "62"


def test_persona_influence_is_ours_with_the_limits_the_request_checks(document):
    generate = document["components"]["schemas"]["GenerateRequest"]
    influence = generate["properties"]["persona_influence"]
    assert influence[EXTENSION] is True and "(ours)" in influence["description"]
    assert (influence["minimum"], influence["maximum"], influence["default"]) == (
        PERSONA_INFLUENCE_MIN,
        PERSONA_INFLUENCE_MAX,
        PERSONA_INFLUENCE_DEFAULT,
    )
    assert generate["dependentRequired"]["persona_influence"] == ["persona_id"]
    assert EXTENSION not in generate["properties"]["persona_id"]


# --- the fuzz -------------------------------------------------------------------------


@pytest.fixture
def api_key(db, settings):
    """A real key of a new user. The fuzz runs in the test's transaction (rolled back after, so nothing
    queued is ever committed for a worker), and Django's handler keeps the connection between requests
    as the test client does."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # a 413 costs less to reach
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    user = get_user_model().objects.create(username="fuzz")  # no password: hashing one costs a second a test
    yield services.key_create(user=user)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The document as the view serves it (a test above checks they are the same). Loaded when the module is
# collected: schemathesis' lazy `from_fixture` loader does not run under pytest 9 (it sets Node._nodeid).
fuzzed = schemathesis.openapi.from_dict(openapi_document())
fuzzed.app = get_wsgi_application()  # in-process: requests go through Django's WSGI handler, no socket
# The test sends a real key; a missing or wrong one is the `ignored_auth` check's (it expects a 401).
fuzzed.config.generation.update(with_security_parameters=False)


def test_the_fuzzed_document_is_the_served_one(document):
    assert document == json.loads(json.dumps(openapi_document()))


# No 5xx; every status, content type, header and body as documented; data the document calls invalid
# is refused with a 4xx; a method an endpoint does not take is a 405 with Allow; a missing or wrong key
# is a 401.
CHECKS = [
    st_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.unsupported_method,
    openapi_checks.ignored_auth,
]


@fuzzed.parametrize()
@pytest.mark.django_db(transaction=False)
@settings(max_examples=25, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_its_document_says(case, api_key, no_network):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=CHECKS)
    assert django_settings.ENGINE_UPLOAD_ALLOW_PRIVATE is False


@pytest.mark.django_db(transaction=False)
def test_a_song_past_the_quota_is_answered_as_the_document_says(api_key, settings):
    """The fuzz stays under the quotas; here a real 429 is held to the document: status, Retry-After, envelope."""
    settings.SONGS_PER_HOUR = 1
    case = fuzzed["/music/generate"]["POST"].Case(body={"tags": "pop"}, media_type="application/json")
    checks = [
        openapi_checks.status_code_conformance,
        openapi_checks.content_type_conformance,
        openapi_checks.response_headers_conformance,
        openapi_checks.response_schema_conformance,
    ]
    statuses = [
        case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=checks).status_code
        for _ in range(2)
    ]
    assert statuses == [200, 429]
