"""The live stream (SSE): first frame, events as they happen, heartbeats, resume, revocation."""

from __future__ import annotations

import threading

import pytest
from factories import make_storytime
from live_support import WAIT, events_of, parse_sse, post_share, read_stream, wait_for

from storytime.live.feed import DISPLAY, STAFF
from storytime.live.stream import event_stream


@pytest.fixture
def app_config(app_config):
    """Short streams and heartbeats, so a stream that is read to its end ends soon."""
    return {**app_config, "STREAM_MAX_SECONDS": 4, "STREAM_HEARTBEAT_SECONDS": 1}


_readers: list[threading.Thread] = []


@pytest.fixture(autouse=True)
def _join_readers(app):
    """Let every stream a test opened run to its end before the app's engine is disposed."""
    yield
    while _readers:
        _readers.pop().join(timeout=30)


def test_generator_sends_a_first_comment_then_each_new_event(app):
    storytime_id = make_storytime(app).id
    with app.app_context():
        stream = event_stream(storytime_id, reader=STAFF, max_seconds=30, heartbeat_seconds=30)
        first = next(stream)
        assert first.startswith("retry: 2000\n: ")
        assert first.endswith("\n\n")
        share_id = post_share(app, storytime_id, "song", "Wheels on the bus")
        frames = parse_sse(next(stream))
        stream.close()
    assert frames[0]["event"] == "share.created"
    assert frames[0]["data"]["share"]["id"] == share_id
    assert frames[0]["id"] == str(frames[0]["data"]["id"])


def test_generator_sends_heartbeats_while_nothing_happens(app):
    storytime_id = make_storytime(app).id
    with app.app_context():
        stream = event_stream(storytime_id, reader=STAFF, max_seconds=30, heartbeat_seconds=0.05)
        next(stream)
        assert next(stream) == ": heartbeat\n\n"
        assert next(stream) == ": heartbeat\n\n"
        stream.close()


def test_generator_ends_after_its_time_so_browsers_reconnect(app):
    storytime_id = make_storytime(app).id
    with app.app_context():
        stream = event_stream(storytime_id, reader=STAFF, max_seconds=0)
        frames = list(stream)
    assert len(frames) == 1 and frames[0].startswith("retry:")


def test_a_posted_share_reaches_an_open_stream(app, client, staff):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    chunks = read_stream(client, f"/api/v1/storytimes/{storytime_id}/stream", _readers)
    text, ok = wait_for(chunks, lambda t: "live stream" in t)
    assert ok, "the first comment did not arrive at once"
    share_id = post_share(app, storytime_id, "question", "Is there storytime in May?")
    text, ok = wait_for(chunks, lambda t: "event: share.created" in t)
    assert ok, text
    [event] = events_of(parse_sse(text))
    assert event["data"]["share"]["id"] == share_id
    assert event["data"]["share"]["text"] == "Is there storytime in May?"


def test_stream_response_headers_stop_buffering(app, client, staff):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    app.config["STREAM_MAX_SECONDS"] = 0
    response = client.get(f"/api/v1/storytimes/{storytime_id}/stream")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert "no-cache" in response.headers["Cache-Control"]
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize("how", ["header", "query"])
def test_resume_delivers_exactly_the_missed_events_in_order(app, client, staff, how):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    share_ids = [post_share(app, storytime_id, "tip", f"Tip {n}") for n in range(5)]
    app.config["STREAM_MAX_SECONDS"] = 0  # one read, then the stream ends
    everything = events_of(
        parse_sse(client.get(f"/api/v1/storytimes/{storytime_id}/stream").get_data(as_text=True))
    )
    seen = everything[1]["id"]
    url = f"/api/v1/storytimes/{storytime_id}/stream"
    if how == "header":
        response = client.get(url, headers={"Last-Event-ID": seen})
    else:
        response = client.get(f"{url}?last_event_id={seen}")
    missed = events_of(parse_sse(response.get_data(as_text=True)))
    assert [frame["id"] for frame in missed] == [frame["id"] for frame in everything[2:]]
    assert [frame["data"]["share"]["id"] for frame in missed] == share_ids[2:]


def test_the_header_wins_over_the_first_connect_query(app, client, staff):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    for n in range(3):
        post_share(app, storytime_id, "tip", f"Tip {n}")
    app.config["STREAM_MAX_SECONDS"] = 0
    response = client.get(
        f"/api/v1/storytimes/{storytime_id}/stream?last_event_id=0",
        headers={"Last-Event-ID": "2"},
    )
    assert [frame["id"] for frame in events_of(parse_sse(response.get_data(as_text=True)))] == ["3"]


@pytest.mark.parametrize("bad", ["-1", "abc", "1.5", "99999999999999999999999", "٣"])
def test_bad_resume_points_are_refused(app, client, staff, bad):
    storytime_id = make_storytime(app).id
    staff.signed_in(client)
    response = client.get(f"/api/v1/storytimes/{storytime_id}/stream?last_event_id={bad}")
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid"
    response = client.get(
        f"/api/v1/storytimes/{storytime_id}/stream", headers={"Last-Event-ID": bad}
    )
    assert response.status_code == 422


def test_rotating_the_display_token_ends_the_open_display_stream(app, client, staff):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    staff.signed_in(client)
    app.config["STREAM_MAX_SECONDS"] = 30
    screen = app.test_client()
    chunks = read_stream(
        screen, f"/api/v1/storytimes/{storytime_id}/stream?token={token}", _readers
    )
    _text, ok = wait_for(chunks, lambda t: "live stream" in t)
    assert ok
    response = client.post(f"/api/v1/storytimes/{storytime_id}/display-token")
    assert response.status_code == 200
    new_url = response.get_json()["display_url"]
    assert token not in new_url
    text, ended_with_revoked = wait_for(chunks, lambda t: "event: revoked" in t)
    assert ended_with_revoked, text
    assert chunks.get(timeout=WAIT) is None, "the revoked stream did not end"
    assert screen.get(f"/api/v1/storytimes/{storytime_id}/events?token={token}").status_code == 403
    app.config["STREAM_MAX_SECONDS"] = 0
    old = screen.get(f"/api/v1/storytimes/{storytime_id}/stream?token={token}")
    assert old.status_code == 403
    new_token = new_url.rsplit("/", 1)[1]
    assert (
        screen.get(f"/api/v1/storytimes/{storytime_id}/events?token={new_token}").status_code == 200
    )


def test_generator_revokes_a_display_whose_token_changed(app):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    with app.app_context():
        stream = event_stream(storytime_id, reader=DISPLAY, display_token=token, max_seconds=30)
        next(stream)
        from storytime.extensions import db
        from storytime.models import Storytime
        from storytime.storytimes.service import rotate_display_token

        with app.app_context():
            rotate_display_token(db.session.get(Storytime, storytime_id))
        assert next(stream) == "event: revoked\ndata: {}\n\n"
        with pytest.raises(StopIteration):
            next(stream)


def test_display_stream_carries_only_on_screen_shares(app, staff):
    storytime = make_storytime(app)
    storytime_id, token = storytime.id, storytime.display_token
    shown = post_share(app, storytime_id, "tip", "Read together daily")
    post_share(app, storytime_id, "question", "SECRET question", allow_screen=False)
    app.config["STREAM_MAX_SECONDS"] = 0
    body = app.test_client().get(f"/api/v1/storytimes/{storytime_id}/stream?token={token}")
    text = body.get_data(as_text=True)
    assert "SECRET" not in text
    events = events_of(parse_sse(text))
    assert [(e["event"], e["data"]["share"]["id"]) for e in events] == [("share.shown", shown)]
    assert set(events[0]["data"]["share"]) == {"id", "kind", "text", "name", "pinned", "created_at"}
