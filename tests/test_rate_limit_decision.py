"""One rate-limit decision per share: each limit refuses at its count, a refusal costs nothing.

A share draws on three allowances (per phone, per storytime, per address) and, when its
join code is unknown, on the walker's; the form and the JSON API draw on the same ones.
They are tested together and counted only if all allow the share (ratelimits.py,
limiter.py), in process memory, in Redis, and in memory while Redis is down.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading

import pytest
from factories import StorytimeClient, close_app, make_app, make_storytime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seeded_world import SHARE, Phone, seed
from services import redis_missing

from storytime import create_app
from storytime.extensions import limiter

ACCEPTED = {"api": 201, "form": 302}
DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every call to it is refused
REDIS_DB = 15  # this file's own Redis database, flushed before and after


def limited_app(app_config, **settings_):
    return make_app({**app_config, "RATELIMIT_ENABLED": True, **settings_})


@pytest.fixture
def make(app_config):
    """Make rate-limited apps with the given settings; close them after the test."""
    apps = []

    def factory(**settings_):
        apps.append(limited_app(app_config, **settings_))
        return apps[-1]

    yield factory
    for app in apps:
        close_app(app)


def send(phone: Phone, surface: str = "api", code: str | None = None, address: str = ""):
    """Send one share from the phone, by the JSON API or the no-JS form."""
    code = code or phone.code
    options = {
        "headers": {"X-CSRFToken": phone.token},
        "environ_base": {"REMOTE_ADDR": address or phone.address},
        "csrf": False,
    }
    client_id = secrets.token_urlsafe(9)
    if surface == "api":
        return phone.client.post(
            f"/api/v1/storytimes/{code}/shares", json={**SHARE, "client_id": client_id}, **options
        )
    form = {"kind": "tip", "text": "By form", "on_screen": "screen", "client_id": client_id}
    return phone.client.post(f"/j/{code}", data=form, **options)


def assert_refused(response, surface: str, limit: int) -> None:
    """A 429 as people and scripts see it, naming the limit that refused."""
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    if surface == "api":
        body = response.get_json()
        assert body["error"] == "rate_limited" and body["retry_after"] > 0
    else:
        assert "Slow down" in response.get_data(as_text=True)


SURFACES = [("api",), ("form",), ("form", "api")]  # the last alternates, on one allowance


def senders(app, world, limit: str):
    """Yield, per share, a phone and address that only the given limit has in common."""
    phone = Phone(app, world.code)
    for n in itertools.count():
        if limit == "phone":
            yield phone, phone.address
        elif limit == "storytime":
            address = f"198.51.100.{n}"
            yield Phone(app, world.code, address=address), address
        else:  # "address": a new cookie each time, as a script would
            yield Phone(app, world.code), "192.0.2.10"


@pytest.mark.parametrize("surfaces", SURFACES, ids="+".join)
@pytest.mark.parametrize("limit", ["phone", "storytime", "address"])
@pytest.mark.parametrize("storage", ["memory", "fallback"])
def test_each_share_limit_refuses_exactly_at_its_count(make, caplog, limit, surfaces, storage):
    caplog.set_level(logging.INFO)
    setting = {"phone": "PER_PHONE", "storytime": "PER_STORYTIME", "address": "PER_ADDRESS"}
    extra = {"RATELIMIT_STORAGE_URI": DOWN} if storage == "fallback" else {}
    app = make(**{f"RATELIMIT_SHARE_{setting[limit]}": "3 per minute"}, **extra)
    world = seed(app)
    statuses, last = [], None
    for (phone, address), surface in zip(senders(app, world, limit), itertools.cycle(surfaces)):
        last = send(phone, surface, address=address)
        statuses.append(last.status_code)
        if len(statuses) == 4:
            break
    expected = [ACCEPTED[s] for s in itertools.islice(itertools.cycle(surfaces), 3)]
    assert statuses == [*expected, 429]
    assert_refused(last, surface, 3)
    if storage == "fallback":
        assert limiter.in_fallback
        faults = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(faults) == 1 and faults[0].startswith("fault ratelimit started: "), faults


@pytest.mark.parametrize("storage", ["memory", "fallback"])
def test_unknown_codes_are_refused_at_their_count_on_every_surface(make, storage):
    extra = {"RATELIMIT_STORAGE_URI": DOWN} if storage == "fallback" else {}
    app = make(RATELIMIT_UNKNOWN_CODE_PER_ADDRESS="3 per minute", **extra)
    world = seed(app)
    phone = Phone(app, world.code)
    page = lambda code: phone.client.get(f"/j/{code}", environ_base={"REMOTE_ADDR": phone.address})  # noqa: E731
    api = lambda code: send(phone, "api", code)  # noqa: E731
    form = lambda code: send(phone, "form", code)  # noqa: E731
    statuses = [surface(f"ZZZ{n:03d}").status_code for n, surface in enumerate([page, api, form])]
    assert statuses == [404, 404, 404]
    for surface, name in ((page, "page"), (api, "api"), (form, "form")):
        refused = surface("ZZZ999")
        assert_refused(refused, "api" if name == "api" else "form", 3)
    # The storytime's own code is never counted nor refused, and a share there still goes.
    assert page(world.code).status_code == 200
    assert send(phone).status_code == 201


def test_a_share_refused_per_address_leaves_the_storytime_its_allowance(make):
    app = make(
        RATELIMIT_SHARE_PER_ADDRESS="2 per minute", RATELIMIT_SHARE_PER_STORYTIME="3 per minute"
    )
    world = seed(app)
    crowded = "192.0.2.10"
    assert [send(Phone(app, world.code), address=crowded).status_code for _ in range(2)] == [
        201
    ] * 2
    for _ in range(5):  # a script behind the crowded address keeps trying with new cookies
        assert send(Phone(app, world.code), address=crowded).status_code == 429
    # None of that reached the storytime's count: one share is left for someone else.
    elsewhere = Phone(app, world.code, address="198.51.100.1")
    assert send(elsewhere).status_code == 201
    assert send(Phone(app, world.code, address="198.51.100.2")).status_code == 429


def test_a_share_refused_by_the_hour_leaves_the_minute_allowances_whole(make):
    app = make(
        RATELIMIT_SHARE_PER_PHONE="10 per minute; 2 per hour",
        RATELIMIT_SHARE_PER_ADDRESS="4 per minute",
    )
    world = seed(app)
    eager = Phone(app, world.code)
    assert [send(eager).status_code for _ in range(5)] == [201, 201, 429, 429, 429]
    # The address counted two shares, not five: two more phones there may share.
    neighbours = [Phone(app, world.code) for _ in range(3)]
    assert [send(phone).status_code for phone in neighbours] == [201, 201, 429]


def test_a_share_to_an_unknown_code_refused_as_walking_costs_the_phone_nothing(make):
    app = make(
        RATELIMIT_UNKNOWN_CODE_PER_ADDRESS="2 per minute", RATELIMIT_SHARE_PER_PHONE="4 per minute"
    )
    world = seed(app)
    phone = Phone(app, world.code)
    assert [send(phone, code=f"ZZZ{n:03d}").status_code for n in range(2)] == [404, 404]
    for n in range(5):  # refused as walking: the phone's allowance is not touched
        assert send(phone, code=f"YYY{n:03d}").status_code == 429
    # The two unknown codes that were looked up did count as shares (4 - 2 = 2 left).
    assert [send(phone).status_code for _ in range(3)] == [201, 201, 429]


def test_of_limits_spent_together_the_phone_is_named_then_the_storytime_then_the_address(
    make,
):
    app = make(
        RATELIMIT_SHARE_PER_PHONE="2 per minute",
        RATELIMIT_SHARE_PER_STORYTIME="3 per minute",
        RATELIMIT_SHARE_PER_ADDRESS="4 per minute",
    )
    world = seed(app)
    first, second = world.code, make_other(app)
    eager = Phone(app, first)
    assert [send(eager).status_code for _ in range(2)] == [201, 201]
    assert send(Phone(app, first, address="198.51.100.1")).status_code == 201
    other = Phone(app, first)
    assert [send(other, code=second).status_code for _ in range(2)] == [201, 201]
    # The eager phone, the first storytime and the address are all spent now.
    assert_refused(send(eager), "api", 2)
    assert_refused(send(Phone(app, first)), "api", 3)
    assert_refused(send(Phone(app, first), code=second), "api", 4)


def test_of_limits_spent_together_the_shortest_window_is_named(make):
    app = make(
        RATELIMIT_SHARE_PER_PHONE="9 per minute; 2 per hour",
        RATELIMIT_SHARE_PER_ADDRESS="3 per minute",
    )
    world = seed(app)
    eager = Phone(app, world.code)
    assert [send(eager).status_code for _ in range(2)] == [201, 201]
    assert send(Phone(app, world.code)).status_code == 201
    both = send(eager)  # its hour and the address's minute are spent
    assert_refused(both, "api", 3)
    assert int(both.headers["Retry-After"]) <= 60
    hour = send(eager, address="198.51.100.2")  # only its hour is spent
    assert_refused(hour, "api", 2)
    assert int(hour.headers["Retry-After"]) > 60


def make_other(app) -> str:
    """Open a second storytime; return its code."""
    return make_storytime(app, "central", title="Toddler Time").code


@pytest.mark.redis
@pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing()))
def test_in_redis_one_decision_counts_once_and_a_refusal_leaves_every_counter_as_it_was(
    app_config,
):
    import redis

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    server = redis.Redis.from_url(url)
    server.flushdb()
    settings_ = {
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_SHARE_PER_PHONE": "3 per minute; 50 per hour",
        "RATELIMIT_SHARE_PER_ADDRESS": "5 per minute",
    }
    app = limited_app(app_config, **settings_)
    other = None
    try:
        world = seed(app)
        phone = Phone(app, world.code)
        remaining = [send(phone).headers["X-RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        counters = lambda: {k.decode(): int(server.get(k)) for k in server.keys("*")}  # noqa: E731
        before = counters()
        assert sorted(before.values()) == [3, 3, 3, 3], before  # phone x2, storytime, address
        assert_refused(send(phone, "form"), "form", 3)
        assert_refused(send(phone), "api", 3)
        assert counters() == before
        # Another worker on the same Redis sees the same counts: two more at this address.
        # (create_app, not make_app: the tables are the first app's, and must stay as they are)
        other = create_app(
            {
                **app_config,
                "INSTANCE_PATH": app_config["INSTANCE_PATH"] + "-2",
                "DATABASE_URL": app.config["DATABASE_URL"],
                "RATELIMIT_ENABLED": True,
                **settings_,
            }
        )
        other.test_client_class = StorytimeClient
        statuses = [send(Phone(other, world.code)).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        assert not limiter.in_fallback
    finally:
        if other is not None:
            close_app(other)
        close_app(app)
        server.flushdb()
        server.close()


@pytest.mark.parametrize(
    "storage",
    [
        "memory",
        pytest.param(
            "redis",
            marks=[
                pytest.mark.redis,
                pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
            ],
        ),
    ],
)
def test_phones_sharing_at_the_same_moment_get_exactly_the_allowance(make, storage):
    extra = {}
    if storage == "redis":
        import redis

        extra["RATELIMIT_STORAGE_URI"] = url = f"redis://127.0.0.1:6379/{REDIS_DB}"
        with redis.Redis.from_url(url) as server:
            server.flushdb()
    app = make(RATELIMIT_SHARE_PER_STORYTIME="5 per minute", **extra)
    world = seed(app)
    phones = [Phone(app, world.code, address=f"198.51.100.{n}") for n in range(12)]
    start = threading.Barrier(len(phones))
    statuses: list[int] = []

    def share(phone: Phone) -> None:
        start.wait(timeout=30)
        statuses.append(send(phone).status_code)

    threads = [threading.Thread(target=share, args=(phone,)) for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] * 5 + [429] * 7
    if storage == "redis":
        with redis.Redis.from_url(url) as server:
            server.flushdb()


PHONES, STORYTIMES, ADDRESSES = 3, 2, 2
ALLOWANCE = {"phone": 2, "storytime": 4, "address": 3}


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shares=st.lists(
        st.tuples(
            st.integers(0, PHONES - 1),
            st.integers(0, STORYTIMES - 1),
            st.integers(0, ADDRESSES - 1),
            st.sampled_from(["api", "form"]),
        ),
        max_size=14,
    )
)
def test_any_order_of_phones_storytimes_and_addresses_is_decided_as_the_model_says(
    limited_world, shares
):
    _app, codes, phones = limited_world
    limiter.reset()  # each example starts with every allowance whole
    used = {"phone": {}, "storytime": {}, "address": {}}
    for phone, storytime, address, surface in shares:
        keys = {"phone": phone, "storytime": storytime, "address": address}
        allowed = all(used[k].get(v, 0) < ALLOWANCE[k] for k, v in keys.items())
        if allowed:  # all are counted, or none
            for k, v in keys.items():
                used[k][v] = used[k].get(v, 0) + 1
        response = send(phones[phone], surface, codes[storytime], f"198.51.100.{address}")
        assert response.status_code == (ACCEPTED[surface] if allowed else 429), (
            shares,
            used,
        )


@pytest.fixture
def limited_world(make):
    app = make(
        RATELIMIT_SHARE_PER_PHONE=f"{ALLOWANCE['phone']} per minute",
        RATELIMIT_SHARE_PER_STORYTIME=f"{ALLOWANCE['storytime']} per minute",
        RATELIMIT_SHARE_PER_ADDRESS=f"{ALLOWANCE['address']} per minute",
    )
    world = seed(app)
    codes = [world.code, make_other(app)]
    return app, codes, [Phone(app, world.code) for _ in range(PHONES)]
