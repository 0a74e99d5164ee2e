"""The provider registry is the one place that knows provider names; everything else asks it."""

import ast
import re
from pathlib import Path

import pytest
from django.utils.module_loading import import_string
from factories import UserFactory

from personastudio.accounts import services as account_services
from personastudio.contract.errors import AuthError
from personastudio.contract.provider import MusicProvider
from personastudio.providers import registry
from personastudio.providers.local import LocalProvider
from personastudio.providers.remote import RemoteProvider

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "personastudio" / "providers" / "registry.py"
NAME_LITERAL = re.compile(r"""["'](?:local|remote)["']""")


def _sources():
    for path in sorted((ROOT / "personastudio").rglob("*.py")):
        if "migrations" not in path.parts and path != REGISTRY:
            yield path
    yield from sorted((ROOT / "templates").rglob("*.html"))


def test_no_provider_name_is_spelled_outside_the_registry():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if NAME_LITERAL.search(line)
    ]
    assert found == [], "ask personastudio.providers.registry instead:\n" + "\n".join(found)


def test_the_contract_imports_nothing_else_of_ours():
    for path in (ROOT / "personastudio" / "contract").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:  # relative imports stay inside
                modules = [node.module or ""]
            else:
                continue
            assert not [m for m in modules if m.startswith("personastudio")], f"{path.name} imports {modules}"


def test_every_entry_names_an_adapter_that_speaks_the_contract_under_its_own_name():
    for provider in registry.PROVIDERS:
        adapter = import_string(provider.adapter)
        assert issubclass(adapter, MusicProvider) and adapter.name == provider.name
        assert provider.clip_handover in ("file", "url")
        assert str(provider.label)  # translatable, but never empty


def test_the_two_providers_declare_what_the_studio_relies_on():
    local, remote = registry.spec(registry.LOCAL), registry.spec(registry.REMOTE)
    assert (local.hosted, local.needs_public_url, local.takes_webhooks, local.clip_handover) == (
        False,
        False,
        False,
        "file",
    )
    assert (remote.hosted, remote.needs_public_url, remote.takes_webhooks, remote.clip_handover) == (
        True,
        True,
        True,
        "url",
    )
    assert registry.DEFAULT == registry.LOCAL and registry.webhook_names() == [registry.REMOTE]
    # Our persona_influence goes to the built-in engine only: a hosted service does not know the field.
    assert (local.takes_persona_influence, remote.takes_persona_influence) == (True, False)


def test_an_unknown_name_is_a_readable_error():
    with pytest.raises(LookupError, match="No music provider is called 'elsewhere'"):
        registry.spec("elsewhere")


def test_the_hosted_provider_for_settings_falls_back_to_the_first_hosted_one():
    assert registry.hosted(registry.LOCAL).name == registry.REMOTE
    assert registry.hosted(registry.REMOTE).name == registry.REMOTE


@pytest.mark.django_db
def test_connect_builds_the_adapter_the_choice_names(settings):
    user = UserFactory()
    assert isinstance(registry.connect(registry.ProviderChoice(registry.LOCAL), owner=user), LocalProvider)
    hosted = registry.connect(
        registry.ProviderChoice(registry.REMOTE, "https://api.example.com", "sk-mm-x"), owner=user
    )
    assert isinstance(hosted, RemoteProvider) and hosted.base_url == "https://api.example.com"
    with pytest.raises(AuthError, match="No hosted music service is set up"):
        registry.connect(registry.ProviderChoice(registry.REMOTE), owner=user)


@pytest.mark.django_db
def test_the_servers_default_provider_comes_from_the_registry(settings):
    user = UserFactory()
    settings.MUSIC_PROVIDER = registry.LOCAL
    assert isinstance(account_services.provider_for(user), LocalProvider)
    settings.MUSIC_PROVIDER, settings.MUSIC_API_BASE_URL = registry.REMOTE, "https://api.example.com"
    assert isinstance(account_services.provider_for(user), RemoteProvider)


def test_same_provider_compares_the_name_and_the_services_root():
    class Record:
        provider, provider_url = registry.REMOTE, "https://api.example.com"

    assert registry.same_provider(Record, registry.REMOTE, "https://api.example.com/api/v1/")
    assert not registry.same_provider(Record, registry.REMOTE, "https://other.example.com")
    assert not registry.same_provider(Record, registry.LOCAL, "")
