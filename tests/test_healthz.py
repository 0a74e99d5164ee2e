"""/healthz: a load balancer's or supervisor's liveness check. It answers without a log-in and reads nothing."""

import pytest


@pytest.mark.django_db
def test_healthz_answers_ok_without_a_login_or_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain") and "sessionid" not in response.cookies
