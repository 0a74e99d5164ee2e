"""English and Simplified Chinese: browser detection, the switcher, a complete catalogue, localised dates."""

import json
import re
from pathlib import Path

import polib
import pytest
from factories import UserFactory, make_clip, tone

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.fixture
def user(client):
    user = UserFactory(username="lin")
    client.force_login(user)
    return user


def test_browser_language_picks_chinese(client, user):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="zh-hans">' in body
    assert "欢迎，lin" in body and "四步做出你的第一首歌" in body and ">片段<" in body


def test_english_is_the_default(client, user):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()
    assert '<html lang="en">' in body and "Welcome, lin" in body


def test_switcher_overrides_the_browser_and_returns_to_the_page(client, user):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/clips/"}, HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 302 and response["Location"] == "/clips/"
    body = client.get("/clips/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "录制或上传片段" in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/clips/"})
    assert "Record or upload a clip" in client.get("/clips/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


def _switcher_next(body):
    return re.search(r'<input name="next" type="hidden" value="([^"]*)"', body).group(1)


def test_switcher_on_a_page_shown_after_a_form_returns_to_a_page_that_exists(client, user):
    clip = make_clip(user, title="Take", samples=tone(seconds=1.5))
    body = client.post(f"/clips/{clip.id}/rename/", {"title": ""}).content.decode()  # refused: shown again
    assert _switcher_next(body) == f"/clips/{clip.id}/"
    assert client.get(_switcher_next(body)).status_code == 200
    body = client.post("/clips/upload/", {"title": "kept"}).content.decode()
    assert _switcher_next(body) == "/clips/upload/"
    body = client.get("/clips/?q=take").content.decode()
    assert _switcher_next(body) == "/clips/?q=take"


def test_switcher_works_before_logging_in(client):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    body = client.get("/accounts/login/").content.decode()
    assert "<h1>登录</h1>" in body and 'lang="zh-hans" selected' in body


def test_dates_and_durations_are_localised(client, user):
    make_clip(user, title="Take", samples=tone(seconds=1.5))
    english = client.get("/clips/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/clips/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    # Django's own formats: 11/25/2026 … in English, 2026年11月25日 … in Chinese.
    assert re.search(r">\d{2}/\d{2}/\d{4} ", english)
    assert re.search(r">\d{4}年\d{1,2}月\d{1,2}日 ", chinese)
    assert "类型" in chinese and "时长" in chinese


def test_javascript_catalogue_is_the_pages_language_and_cached(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'src="/jsi18n/?lang=zh-hans"' in page
    chinese = client.get("/jsi18n/?lang=zh-hans", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "max-age=3600" in chinese["Cache-Control"]
    submit_anyway = json.dumps("仍然提交")  # the catalogue is JSON with \\u escapes
    assert submit_anyway in chinese.content.decode()
    english = client.get("/jsi18n/?lang=en", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert submit_anyway not in english  # the address decides, and each language is cached apart
    assert submit_anyway in client.get("/jsi18n/?lang=zh-hans", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_catalogue_is_complete_and_compiled(domain):
    """Every message has a Chinese translation, none is a fuzzy guess, and the .mo matches the .po."""
    po_path = LOCALE / f"{domain}.po"
    if domain == "djangojs" and not po_path.exists():
        pytest.skip("no JavaScript messages")
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po if not e.obsolete and not e.translated()]
    assert untranslated == [], f"{len(untranslated)} messages have no Chinese yet (run `make messages`)"
    assert po.fuzzy_entries() == []
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr or e.msgstr_plural.get(0)) for e in polib.mofile(str(LOCALE / f"{domain}.mo"))
    }
    for entry in po:
        if entry.obsolete:
            continue
        expected = entry.msgstr or entry.msgstr_plural.get(0)
        assert compiled.get((entry.msgctxt, entry.msgid)) == expected, (
            f"stale .mo for {entry.msgid!r}: run `make messages`"
        )
    # Placeholders survive translation (a missing %(name)s or {name} would crash or drop a value).
    placeholder = r"%\(\w+\)[sd]|\{\w+(?::[^}]*)?\}"
    for entry in po:
        source = set(re.findall(placeholder, entry.msgid + entry.msgid_plural))
        target = set(re.findall(placeholder, entry.msgstr or entry.msgstr_plural.get(0, "")))
        assert source == target, entry.msgid
