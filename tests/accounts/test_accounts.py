import pytest
from django.contrib.auth import get_user_model
from factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_it_signs_up_and_logs_the_new_user_in(client):
    response = client.post("/accounts/signup/", {"username": "mei", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="mei").exists()
    assert client.get("/").status_code == 200


def test_it_keeps_the_username_and_explains_a_password_mismatch(client):
    response = client.post("/accounts/signup/", {"username": "mei", "password1": PASSWORD, "password2": "other"})
    assert response.status_code == 400
    assert b'value="mei"' in response.content
    assert b"didn" in response.content  # "The two password fields didn’t match."


def test_it_logs_in_and_out(client):
    user = UserFactory()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "url", ["/", "/clips/", "/clips/upload/", "/personas/", "/personas/new/", "/generations/", "/generations/new/"]
)
def test_every_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_api_answers_an_anonymous_call_with_401_not_a_login_page(client):
    response = client.post("/api/v1/tasks", data={}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == 401
