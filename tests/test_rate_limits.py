"""Rate limits: a whole room behind one Wi-Fi address can share; floods and walkers cannot."""

from __future__ import annotations

import logging
import secrets

import pytest
from factories import close_app, make_app
from seeded_world import SHARE, Phone, page_csrf, seed
from services import redis_missing


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


def lookup(phone: Phone, code: str, method: str = "GET", path: str = "/j/{code}"):
    """Send one request naming that code, from the phone's address, with its CSRF token."""
    return phone.client.open(
        path.format(code=code),
        method=method,
        json={"text": "A corrected tip"} if method == "PATCH" else None,
        headers={"X-CSRFToken": phone.token},
        environ_base={"REMOTE_ADDR": phone.address},
        csrf=False,
    )


def walk(phone: Phone, codes, method: str = "GET", path: str = "/j/{code}") -> list[int]:
    """Look up each code from the phone's address; return the statuses."""
    return [lookup(phone, code, method, path).status_code for code in codes]


def unknown_codes(prefix: str, count: int = 30) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(count)]


def test_a_code_walker_on_the_library_wifi_does_not_lock_the_room_out(app, world):
    phones = [Phone(app, world.code) for _ in range(30)]
    shares = [
        phone.share(f"Before the walker {n}").get_json()["id"] for n, phone in enumerate(phones)
    ]
    walker = Phone(app, world.code)  # behind the same address, with a cookie of its own
    assert walk(walker, unknown_codes("ZZZ")) == [404] * 30
    assert walk(walker, ["ZZZ999"]) == [429]

    for number, (phone, share_id) in enumerate(zip(phones, shares, strict=True)):
        api_share = f"/api/v1/storytimes/{{code}}/shares/{share_id}"
        assert walk(phone, [world.code]) == [200], number
        assert walk(phone, [world.code.lower()]) == [302], number  # typed in lower case
        assert phone.share(f"After the walker {number}").status_code == 201, number
        mine = lookup(phone, world.code, path="/api/v1/storytimes/{code}/shares/mine")
        assert mine.status_code == 200 and len(mine.get_json()["shares"]) == 2, number
        assert walk(phone, [world.code], "PATCH", api_share) == [200], number
        assert walk(phone, [world.code], path=f"/j/{{code}}/shares/{share_id}/edit") == [200]
    assert walk(
        phones[0], [world.code], "DELETE", f"/api/v1/storytimes/{{code}}/shares/{shares[0]}"
    ) == [204]
    # A phone arriving now still gets in, and a closed storytime's page still opens.
    assert Phone(app, world.code).share().status_code == 201
    assert walk(walker, [world.closed_code]) == [200]

    # The walker is still stopped, on every way of looking a code up.
    api_share = f"/api/v1/storytimes/{{code}}/shares/{shares[1]}"
    assert walk(walker, ["ZZZ998"]) == [429]
    assert walk(walker, ["ZZZ997"], "DELETE", api_share) == [429]
    assert_rate_limited_json(lookup(walker, "ZZZ996", "PATCH", api_share))


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_the_phone_edit_api_counts_unknown_codes_against_the_walker_limit(app, world, method):
    walker = Phone(app, world.code)
    path = f"/api/v1/storytimes/{{code}}/shares/{world.share_id}"
    statuses = []
    for code in unknown_codes("YYY"):
        # A new phone cookie each time, so the per-phone share allowance (10 a minute)
        # is not what stops it: a walker can change cookies at will.
        walker.client.set_cookie("st_phone", secrets.token_urlsafe(24))
        statuses.append(lookup(walker, code, method, path).status_code)
    assert statuses == [404] * 30
    assert_rate_limited_json(lookup(walker, "YYY999", method, path))
    assert walk(walker, ["YYY998"]) == [429]  # the join page draws on the same allowance


def test_not_found_under_a_code_that_exists_is_never_counted(app, world):
    phone = Phone(app, world.code)
    known_but_missing = [
        ("GET", "/j/{code}/recap"),  # open: no recap yet
        ("GET", f"/j/{{code}}/shares/{world.share_id}/edit"),  # another phone's share
        ("PATCH", f"/api/v1/storytimes/{{code}}/shares/{world.share_id}"),
        ("DELETE", "/api/v1/storytimes/{code}/shares/999"),
    ]
    for method, path in known_but_missing:
        assert walk(phone, [world.code] * 4, method, path) == [404] * 4, path
    assert walk(phone, unknown_codes("XXX")) == [404] * 30
    assert walk(phone, ["XXX999"]) == [429]


def test_limits_still_hold_in_memory_while_their_storage_is_down(app_config, caplog):
    caplog.set_level(logging.INFO)
    # Nothing listens on port 1: every hit on the storage is refused.
    app = limited_app(app_config, RATELIMIT_STORAGE_URI="redis://:s3cret@127.0.0.1:1/0")
    try:
        world = seed(app)
        flooder, neighbour = Phone(app, world.code), Phone(app, world.code)
        statuses = [flooder.share(f"spam {i}").status_code for i in range(11)]
        assert statuses == [201] * 10 + [429]  # counted in this worker's memory meanwhile
        assert neighbour.share("A real tip").status_code == 201
        assert app.test_client().get("/healthz").get_json()["ratelimit_storage"] == (
            "memory-fallback"
        )
    finally:
        close_app(app)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(
        "fault ratelimit started: rate limit storage unreachable at redis://127.0.0.1:1/0 ("
    )
    assert "s3cret" not in caplog.text
