"""Rate limits: a whole room behind one Wi-Fi address can share; floods and walkers cannot."""

from __future__ import annotations

import pytest
from services import redis_missing
from trust_world import SHARE, Phone, close_app, make_app, page_csrf, seed


def limited_app(app_config, **limits):
    return make_app({**app_config, "RATELIMIT_ENABLED": True, **limits})


@pytest.fixture
def app(app_config):
    """The same fresh app as everywhere, with rate limiting on."""
    app = limited_app(app_config)
    yield app
    close_app(app)


@pytest.fixture
def world(app):
    return seed(app)


def assert_rate_limited_json(response) -> None:
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "rate_limited"
    assert body["message"] and "per 1 minute" not in body["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert body["retry_after"] > 0


def test_thirty_phones_behind_one_library_address_can_all_share(app, world):
    phones = [Phone(app, world.code) for _ in range(30)]
    for round_ in range(3):
        for number, phone in enumerate(phones):
            response = phone.share(f"Tip {round_} from phone {number}")
            assert response.status_code == 201, (round_, number, response.get_json())


def test_one_phone_that_floods_is_stopped_and_the_others_are_not(app, world):
    flooder, neighbour = Phone(app, world.code), Phone(app, world.code)
    statuses = [flooder.share(f"spam {i}").status_code for i in range(11)]
    assert statuses == [201] * 10 + [429]
    assert_rate_limited_json(flooder.share("again"))
    assert neighbour.share("A real tip").status_code == 201


def test_a_new_cookie_per_request_does_not_escape_the_address_ceiling(app_config):
    app = limited_app(app_config, RATELIMIT_SHARE_PER_ADDRESS="12 per minute")
    try:
        world = seed(app)
        statuses = [Phone(app, world.code).share(f"bot {i}").status_code for i in range(13)]
        assert statuses == [201] * 12 + [429]
        # Another address (another library, or mobile data) is not affected.
        assert Phone(app, world.code, address="198.51.100.7").share().status_code == 201
    finally:
        close_app(app)


def test_one_storytime_takes_only_so_many_shares_a_minute(app_config):
    app = limited_app(app_config, RATELIMIT_SHARE_PER_STORYTIME="5 per minute")
    try:
        world = seed(app)
        statuses = [
            Phone(app, world.code, address=f"198.51.100.{i}").share().status_code for i in range(6)
        ]
        assert statuses == [201] * 5 + [429]
    finally:
        close_app(app)


def test_the_form_post_shares_the_same_allowance_as_the_json_endpoint(app, world):
    phone = Phone(app, world.code)
    for i in range(10):
        assert phone.share(f"json {i}").status_code == 201
    response = phone.client.post(
        f"/j/{world.code}",
        data={"kind": "tip", "text": "by form", "on_screen": "screen", "client_id": "formabc123"},
        environ_base={"REMOTE_ADDR": phone.address},
        headers={"X-CSRFToken": phone.token},
        csrf=False,
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Slow down" in response.get_data(as_text=True)


def test_unknown_codes_cannot_be_walked_but_known_codes_are_never_counted(app, world):
    client = app.test_client()
    for _ in range(40):
        assert client.get(f"/j/{world.code}").status_code == 200
    statuses = [client.get(f"/j/ZZZ{i:03d}").status_code for i in range(30)]
    assert statuses == [404] * 30
    walked = client.get("/j/ZZZ999")
    assert walked.status_code == 429
    assert int(walked.headers["Retry-After"]) > 0
    # The JSON endpoint draws on the same allowance.
    response = client.post(
        "/api/v1/storytimes/ZZZ998/shares",
        json={**SHARE, "client_id": "walker123"},
    )
    assert_rate_limited_json(response)
    # Someone else in the building is not blocked by the walker.
    other = app.test_client()
    assert other.get("/j/ZZZ997", environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 404


def login_attempt(client, email: str, address: str = "192.0.2.20"):
    return client.post(
        "/login",
        data={"email": email, "password": "not the password"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_login_attempts_are_limited_per_account_from_any_address(app, world):
    client = app.test_client()
    email = world.emails["librarian"]
    statuses = [login_attempt(client, email, f"203.0.113.{i}").status_code for i in range(6)]
    assert statuses == [400] * 5 + [429]
    page = login_attempt(client, email, "203.0.113.99")
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) > 0
    assert "Slow down" in page.get_data(as_text=True)
    # Other accounts can still sign in.
    assert login_attempt(client, world.emails["admin"]).status_code == 400


def test_login_attempts_are_limited_per_address_across_accounts(app):
    client = app.test_client()
    statuses = [login_attempt(client, f"guess{i}@example.org").status_code for i in range(11)]
    assert statuses == [400] * 10 + [429]
    assert login_attempt(client, "someone@example.org", "198.51.100.1").status_code == 400


def test_behind_a_proxy_each_forwarded_address_counts_on_its_own(app_config):
    app = limited_app(app_config, BEHIND_PROXY=True)
    try:
        client = app.test_client()
        statuses = [
            client.post(
                "/login",
                data={"email": f"guess{i}@example.org", "password": "nope nope"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(15)
        ]
        assert 429 not in statuses
        same = [
            client.post(
                "/login",
                data={"email": f"other{i}@example.org", "password": "nope nope"},
                headers={"X-Forwarded-For": "198.51.100.200"},
            ).status_code
            for i in range(11)
        ]
        assert same[-1] == 429
    finally:
        close_app(app)


REDIS_DB = 13  # a database number no other test uses; flushed before and after


@pytest.mark.redis
@pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing()))
def test_limits_are_kept_in_redis_when_it_is_configured(app_config):
    import redis

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    server = redis.Redis.from_url(url)
    server.flushdb()
    app = limited_app(app_config, RATELIMIT_STORAGE_URI=url, RATELIMIT_SHARE_PER_PHONE="3/minute")
    try:
        world = seed(app)
        phone = Phone(app, world.code)
        assert [phone.share(f"tip {i}").status_code for i in range(4)] == [201, 201, 201, 429]
        keys = [key.decode() for key in server.keys("*")]
        assert any("share-phone" in key for key in keys), keys
        # A second app (another worker) sharing the Redis sees the same count.
        other = limited_app(
            {**app_config, "INSTANCE_PATH": app_config["INSTANCE_PATH"] + "-2"},
            DATABASE_URL=app.config["DATABASE_URL"],
            RATELIMIT_STORAGE_URI=url,
            RATELIMIT_SHARE_PER_PHONE="3/minute",
        )
        try:
            client = other.test_client()
            client.set_cookie("st_phone", phone.client.get_cookie("st_phone").value)
            token = page_csrf(client.get(f"/j/{world.code}").get_data(as_text=True))
            response = client.post(
                f"/api/v1/storytimes/{world.code}/shares",
                json={**SHARE, "client_id": "otherworker1"},
                headers={"X-CSRFToken": token},
                environ_base={"REMOTE_ADDR": phone.address},
                csrf=False,
            )
            assert response.status_code == 429
        finally:
            close_app(other)
    finally:
        close_app(app)
        server.flushdb()
        server.close()


def test_the_redis_url_setting_is_the_limit_storage(tmp_path):
    from flask import Flask

    from storytime import config

    for settings, expected in (
        ({"REDIS_URL": "redis://127.0.0.1:6379/5"}, "redis://127.0.0.1:6379/5"),
        ({}, "memory://"),
    ):
        app = Flask("storytime", instance_path=str(tmp_path / "instance"))
        config.load(app, {"SECRET_KEY": "x", **settings})
        assert app.config["RATELIMIT_STORAGE_URI"] == expected


def test_every_page_that_looks_up_a_code_draws_on_the_same_allowance(app, world):
    client = app.test_client()
    lookups = [
        "/j/QQQ{:03d}",
        "/j/QQQ{:03d}/recap",
        "/j/QQQ{:03d}/shares/1/edit",
        "/j/QQQ{:03d}/shares/1/delete",
        "/api/v1/storytimes/QQQ{:03d}/shares/mine",
    ]
    statuses = [client.get(lookups[i % len(lookups)].format(i)).status_code for i in range(30)]
    assert statuses == [404] * 30
    for path in lookups:
        assert client.get(path.format(999)).status_code == 429, path
