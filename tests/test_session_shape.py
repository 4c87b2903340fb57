"""A storytime has a shape: Close asks, the wrap-up's three steps, lists, Start now, Run again."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import make_storytime
from hypothesis import given, settings
from hypothesis import strategies as st
from live_support import post_share
from storytime_helpers import branch_id, create, form_data, read, storytime_count

from storytime.extensions import db
from storytime.models import Event, Share, Storytime, now_utc
from storytime.storytimes.schedule import next_slot, same_slot

TORONTO = ZoneInfo("America/Toronto")


@pytest.fixture
def app_config(app_config):
    # A zone with daylight saving, so weekday and local time are really exercised.
    return {**app_config, "TIMEZONE": "America/Toronto"}


@pytest.fixture
def librarian(client, staff):
    staff.signed_in(client, "librarian", "central")
    return client


def stored(app, storytime_id: int) -> Storytime:
    """Return the storytime as stored now (detached)."""
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        db.session.expunge(storytime)
        return storytime


def events(app, storytime_id: int) -> list[tuple[str, bool, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Event.type, Event.public, Event.share_id)
            .where(Event.storytime_id == storytime_id)
            .order_by(Event.id)
        ).all()
        return [tuple(row) for row in rows]


def update(app, storytime_id: int, **values) -> None:
    with app.app_context():
        storytime = db.session.get(Storytime, storytime_id)
        for name, value in values.items():
            setattr(storytime, name, value)
        db.session.commit()


def toronto(*args) -> datetime:
    """Return a Toronto wall-clock time as aware UTC."""
    return datetime(*args, tzinfo=TORONTO).astimezone(UTC)


# --- Close asks first ---


def test_close_asks_first_and_the_question_changes_nothing(app, librarian):
    storytime = make_storytime(app, title="Baby Bounce")
    before = events(app, storytime.id)

    page = librarian.get(f"/storytimes/{storytime.id}/close")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Close “Baby Bounce”?" in html
    assert "Phones can no longer share; the TV says goodbye" in html
    assert ">Keep open<" in html
    assert stored(app, storytime.id).state == "open"
    assert events(app, storytime.id) == before


def test_keep_open_goes_back_where_the_librarian_came_from_on_this_site_only(app, librarian):
    storytime = make_storytime(app)
    dashboard = f"/storytimes/{storytime.id}/live"

    from_dashboard = librarian.get(f"/storytimes/{storytime.id}/close?next={dashboard}")
    from_elsewhere = librarian.get(f"/storytimes/{storytime.id}/close?next=//evil.example/")

    assert f'href="{dashboard}"' in from_dashboard.get_data(as_text=True)
    keep = re.search(r'<a class="button" href="([^"]*)">Keep open<', from_elsewhere.text)
    assert keep.group(1) == f"/storytimes/{storytime.id}"


def test_closing_records_the_same_event_as_before_and_leads_to_the_wrap_up(app, librarian):
    storytime = make_storytime(app)

    response = librarian.post(f"/storytimes/{storytime.id}/close")

    assert response.status_code == 303
    assert response.location.endswith(f"/storytimes/{storytime.id}/wrap-up")
    closed = stored(app, storytime.id)
    assert closed.state == "closed" and closed.closed_at is not None
    assert events(app, storytime.id) == [("storytime.updated", True, None)]
    # Phones are refused from now on.
    phone = app.test_client()
    refused = phone.post(
        f"/api/v1/storytimes/{storytime.code}/shares",
        json={"kind": "tip", "text": "Late", "client_id": "late-phone-0001"},
    )
    assert refused.status_code == 409


def test_closing_without_the_csrf_token_changes_nothing(app, librarian):
    storytime = make_storytime(app)

    response = librarian.post(f"/storytimes/{storytime.id}/close", csrf=False)

    assert response.status_code == 400
    assert stored(app, storytime.id).state == "open"
    assert events(app, storytime.id) == []


def test_close_on_a_closed_storytime_goes_to_its_wrap_up(app, librarian):
    storytime = make_storytime(app, state="closed")

    for method in ("get", "post"):
        response = getattr(librarian, method)(f"/storytimes/{storytime.id}/close")
        assert response.status_code == 303
        assert response.location.endswith(f"/storytimes/{storytime.id}/wrap-up")
    assert events(app, storytime.id) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/close"),
        ("post", "/close"),
        ("get", "/wrap-up"),
        ("post", "/wrap-up/headcount"),
        ("post", "/wrap-up/recap"),
        ("post", "/wrap-up/recap/shares"),
    ],
)
def test_another_branch_may_not_close_or_wrap_up(app, client, staff, method, path):
    storytime = make_storytime(app, "central")
    staff.signed_in(client, "librarian", "riverside")

    response = getattr(client, method)(
        f"/storytimes/{storytime.id}{path}",
        data={
            "adults": "3",
            "note": "Hijacked",
            "published": "y",
            "share_id": "1",
            "included": "1",
        },
    )

    assert response.status_code == 403
    after = stored(app, storytime.id)
    assert after.state == "open" and after.headcount_adults is None and after.recap_note == ""


def test_the_storytime_page_closes_through_the_question(app, librarian):
    storytime = make_storytime(app)

    html = librarian.get(f"/storytimes/{storytime.id}").get_data(as_text=True)

    assert f'href="/storytimes/{storytime.id}/close"' in html
    assert 'name="state" value="closed"' not in html


def test_after_close_wrap_up_is_the_main_button_and_open_again_is_secondary(app, librarian):
    storytime = make_storytime(app, state="closed")

    html = librarian.get(f"/storytimes/{storytime.id}").get_data(as_text=True)

    primary = re.findall(r'class="button primary"[^>]*>([^<]+)<', html)
    primary += re.findall(r'<a class="button primary" href="[^"]+">([^<]+)<', html)
    assert any("Wrap up" in label for label in primary)
    assert not any("Open again" in label for label in primary)
    open_again = re.search(r'<button[^>]*class="([^"]*)"[^>]*>Open again<', html)
    assert open_again and "primary" not in open_again.group(1)


# --- The wrap-up page ---


def test_the_wrap_up_saves_the_headcount(app, librarian):
    storytime = make_storytime(app, state="closed")

    response = librarian.post(
        f"/storytimes/{storytime.id}/wrap-up/headcount",
        data={"adults": "12", "children": "9", "babies": "4"},
    )

    assert response.status_code == 303
    assert response.location.endswith("/wrap-up#recap")
    after = stored(app, storytime.id)
    assert (after.headcount_adults, after.headcount_children, after.headcount_babies) == (12, 9, 4)
    page = librarian.get(f"/storytimes/{storytime.id}/wrap-up").get_data(as_text=True)
    assert "Headcount saved." in page
    assert re.search(r'name="adults"[^>]*value="12"|value="12"[^>]*name="adults"', page)


@pytest.mark.parametrize("bad", ["-1", "1000", "lots"])
def test_a_bad_headcount_says_why_and_changes_nothing(app, librarian, bad):
    storytime = make_storytime(app, state="closed")
    update(app, storytime.id, headcount_adults=5)

    response = librarian.post(
        f"/storytimes/{storytime.id}/wrap-up/headcount",
        data={"adults": bad, "children": "1", "babies": "1"},
        follow_redirects=True,
    )

    html = response.get_data(as_text=True)
    assert "Use a number from 0 to 999." in html or "Not a valid integer value." in html
    after = stored(app, storytime.id)
    assert (after.headcount_adults, after.headcount_children) == (5, None)


def test_the_wrap_up_shows_the_three_steps_with_names_off(app, librarian):
    storytime = make_storytime(app, state="closed")

    html = librarian.get(f"/storytimes/{storytime.id}/wrap-up").get_data(as_text=True)

    for step in ('id="headcount"', 'id="recap"', 'name="adults"', 'name="babies"'):
        assert step in html
    names = re.search(r"<input[^>]*name=\"show_names\"[^>]*>", html).group(0)
    assert "checked" not in names
    assert "Publish the recap" in html


def test_the_wrap_up_chooses_what_goes_in_and_publishes_the_recap(app, librarian):
    storytime = make_storytime(app)
    tip = post_share(app, storytime.id, "tip", "Sing the bath song", name="Ana")
    private = post_share(app, storytime.id, "question", "Private?", allow_screen=False, phone="p2")
    librarian.post(f"/storytimes/{storytime.id}/close")

    page = librarian.get(f"/storytimes/{storytime.id}/wrap-up").get_data(as_text=True)
    assert "Sing the bath song" in page and "Private?" not in page
    added = librarian.post(
        f"/storytimes/{storytime.id}/wrap-up/recap/shares",
        data={"share_id": str(tip), "included": "1"},
    )
    refused = librarian.post(
        f"/storytimes/{storytime.id}/wrap-up/recap/shares",
        data={"share_id": str(private), "included": "1"},
        follow_redirects=True,
    )
    published = librarian.post(
        f"/storytimes/{storytime.id}/wrap-up/recap",
        data={"note": "Next week: boats", "published": "y"},
    )

    assert added.status_code == published.status_code == 303
    assert "for the librarian only" in refused.get_data(as_text=True)
    after = stored(app, storytime.id)
    assert after.recap_published and after.recap_note == "Next week: boats"
    assert not after.recap_show_names
    with app.app_context():
        assert db.session.get(Share, tip).starred
        assert not db.session.get(Share, private).starred
    public = app.test_client().get(f"/j/{storytime.code}/recap").get_data(as_text=True)
    assert "Sing the bath song" in public and "Next week: boats" in public
    assert "Ana" not in public


def test_saving_without_publishing_keeps_the_recap_private(app, librarian):
    storytime = make_storytime(app, state="closed")
    update(app, storytime.id, recap_published=True)

    librarian.post(
        f"/storytimes/{storytime.id}/wrap-up/recap", data={"note": "Hi", "published": ""}
    )

    assert not stored(app, storytime.id).recap_published
    assert app.test_client().get(f"/j/{storytime.code}/recap").status_code == 404


def series_member(app, starts_at: datetime, *, title="Baby Bounce", branch="central", count=None):
    """Make a closed storytime at that time; `count` is its (adults, children, babies)."""
    storytime = make_storytime(app, branch, title=title, starts_at=starts_at, state="closed")
    if count is not None:
        adults, children, babies = count
        update(
            app,
            storytime.id,
            headcount_adults=adults,
            headcount_children=children,
            headcount_babies=babies,
        )
    return storytime.id


def prefilled(html: str) -> tuple[str | None, ...]:
    values = []
    for name in ("adults", "children", "babies"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        value = re.search(r'value="([^"]*)"', tag)
        values.append(value.group(1) or None if value else None)
    return tuple(values)


def test_the_headcount_is_prefilled_only_from_the_same_series(app, librarian, staff):
    staff.branch("Riverside", "riverside")
    monday = toronto(2031, 3, 17, 10, 30)  # a Monday, 10:30 in Toronto
    today = series_member(app, monday)
    # Not the same series: another title, another time, another weekday, another branch,
    # or later than this one.
    series_member(app, monday - timedelta(days=1), count=(90, 90, 90))
    series_member(app, monday - timedelta(days=7), title="Toddler Time", count=(91, 91, 91))
    series_member(app, monday - timedelta(days=7, hours=1), count=(92, 92, 92))
    series_member(app, monday - timedelta(days=7), branch="riverside", count=(93, 93, 93))
    series_member(app, monday + timedelta(days=7), count=(94, 94, 94))

    alone = librarian.get(f"/storytimes/{today}/wrap-up").get_data(as_text=True)
    assert prefilled(alone) == (None, None, None)

    # 14 days back in UTC crosses the change to daylight saving (9 March): 09:30 locally.
    series_member(app, monday - timedelta(days=14), count=(95, 95, 95))
    html = librarian.get(f"/storytimes/{today}/wrap-up").get_data(as_text=True)
    assert prefilled(html) == (None, None, None)
    # Two weeks ago at 10:30 was counted, last week was not: the newest counted one.
    series_member(app, toronto(2031, 3, 3, 10, 30), count=(11, 7, 3))
    series_member(app, toronto(2031, 3, 10, 10, 30))
    html = librarian.get(f"/storytimes/{today}/wrap-up").get_data(as_text=True)

    assert prefilled(html) == ("11", "7", "3")
    assert "these are the numbers of" in html
    after = stored(app, today)
    assert after.headcount_adults is None  # a suggestion, not saved until the librarian saves


def test_a_counted_storytime_shows_its_own_headcount(app, librarian):
    monday = toronto(2031, 3, 17, 10, 30)
    series_member(app, monday - timedelta(days=7), count=(11, 7, 3))
    today = series_member(app, monday, count=(20, 10, 5))

    html = librarian.get(f"/storytimes/{today}/wrap-up").get_data(as_text=True)

    assert prefilled(html) == ("20", "10", "5")
    assert "these are the numbers of" not in html


# --- Lists ---


def test_lists_show_the_next_and_the_latest_first(app, librarian):
    now = now_utc()
    specs = [
        ("Closed long ago", "closed", now - timedelta(days=300)),
        ("Upcoming later", "scheduled", now + timedelta(days=9)),
        ("Closed yesterday", "closed", now - timedelta(days=1)),
        ("Open now", "open", now - timedelta(minutes=10)),
        ("Never run", "scheduled", now - timedelta(days=30)),
        ("Upcoming soon", "scheduled", now + timedelta(days=2)),
        ("Closed last week", "closed", now - timedelta(days=7)),
    ]
    for title, state, starts_at in specs:
        make_storytime(app, title=title, state=state, starts_at=starts_at)

    html = librarian.get("/storytimes").get_data(as_text=True)

    order = sorted((html.index(f">{title}<"), title) for title, _s, _t in specs)
    assert [title for _i, title in order] == [
        "Open now",
        "Upcoming soon",
        "Upcoming later",
        "Closed yesterday",
        "Closed last week",
        "Never run",
        "Closed long ago",
    ]
    assert html.count("/wrap-up") == 3  # each closed one links to its wrap-up


def test_the_latest_closed_storytime_is_on_the_first_page(app, librarian):
    now = now_utc()
    for week in range(1, 60):
        make_storytime(
            app, title=f"Week {week:02d}", state="closed", starts_at=now - timedelta(weeks=week)
        )

    first = librarian.get("/storytimes").get_data(as_text=True)
    second = librarian.get("/storytimes?page=2").get_data(as_text=True)

    assert ">Week 01<" in first and ">Week 25<" in first and ">Week 26<" not in first
    assert ">Week 26<" in second


# --- Start now ---


def test_start_now_opens_at_once_and_lands_on_the_dashboard(app, librarian):
    before = now_utc().replace(second=0, microsecond=0)

    response = librarian.post(
        "/storytimes/new", data=form_data(branch_id(app), starts_at="", start_now="Start now")
    )

    assert response.status_code == 302
    storytime_id = int(re.search(r"/storytimes/(\d+)/live$", response.location).group(1))
    started = stored(app, storytime_id)
    assert started.state == "open"
    assert before <= started.starts_at <= now_utc()
    assert started.opened_at is not None
    assert events(app, storytime_id) == [("storytime.updated", True, None)]


def test_start_now_still_checks_the_form(app, librarian):
    response = librarian.post(
        "/storytimes/new", data=form_data(branch_id(app), title="", start_now="Start now")
    )

    assert response.status_code == 422
    assert storytime_count(app) == 0


def test_the_new_form_offers_start_now_and_the_edit_form_does_not(app, librarian):
    storytime_id = create(librarian, branch_id(app))

    assert 'name="start_now"' in librarian.get("/storytimes/new").get_data(as_text=True)
    edit = librarian.get(f"/storytimes/{storytime_id}/edit").get_data(as_text=True)
    assert 'name="start_now"' not in edit


# --- Run again ---


def test_run_again_from_an_old_session_proposes_the_next_future_slot(app, librarian):
    old = make_storytime(app, starts_at=toronto(2020, 1, 6, 10, 30), state="closed")  # Monday

    detail = librarian.get(f"/storytimes/{old.id}").get_data(as_text=True)
    response = librarian.post(f"/storytimes/{old.id}/duplicate")

    copy = read(app, int(response.location.split("/")[-1]))
    local = copy["starts_at"].astimezone(TORONTO)
    assert copy["starts_at"] > now_utc()
    assert copy["starts_at"] - now_utc() <= timedelta(days=7)
    assert (local.weekday(), local.hour, local.minute) == (0, 10, 30)
    assert "Run again on" in detail
    flashed = librarian.get(response.location).get_data(as_text=True)
    assert "Scheduled again for" in flashed


# --- The form's new fields ---


def test_room_length_and_auto_close_are_saved_and_shown(app, librarian):
    storytime_id = create(
        librarian,
        branch_id(app),
        room="  Story   room ",
        duration_minutes="30",
        auto_close_minutes="15",
    )

    after = stored(app, storytime_id)
    assert (after.room, after.duration_minutes, after.auto_close_minutes) == ("Story room", 30, 15)
    edit = librarian.get(f"/storytimes/{storytime_id}/edit").get_data(as_text=True)
    assert 'value="Story room"' in edit and 'value="30"' in edit and 'value="15"' in edit
    librarian.post(
        f"/storytimes/{storytime_id}/edit",
        data=form_data(branch_id(app), room="", duration_minutes="", auto_close_minutes=""),
    )
    after = stored(app, storytime_id)
    assert (after.room, after.duration_minutes, after.auto_close_minutes) == ("", 45, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duration_minutes": "0"}, "from 5 to 480"),
        ({"duration_minutes": "481"}, "from 5 to 480"),
        ({"duration_minutes": "an hour"}, "Not a valid integer value."),
        ({"auto_close_minutes": "-1"}, "from 0 to 1440"),
        ({"auto_close_minutes": "1441"}, "from 0 to 1440"),
        ({"room": "r" * 61}, "60"),
    ],
)
def test_bad_room_length_or_auto_close_is_refused(app, librarian, changes, message):
    response = librarian.post("/storytimes/new", data=form_data(branch_id(app), **changes))

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert storytime_count(app) == 0


ZONES = [
    "UTC",
    "America/Toronto",
    "America/St_Johns",  # half-hour offset, daylight saving
    "Europe/London",
    "Australia/Lord_Howe",  # a half-hour daylight-saving change
    "Pacific/Chatham",
    "Asia/Kolkata",
    "America/Sao_Paulo",  # daylight saving at midnight in the years it had one
]
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2045, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=400, deadline=None)
@given(starts_at=MOMENTS, now=MOMENTS, zone_name=st.sampled_from(ZONES))
def test_the_next_slot_is_the_first_future_one_on_the_same_weekday_and_local_time(
    starts_at, now, zone_name
):
    zone = ZoneInfo(zone_name)

    slot = next_slot(starts_at, now, zone)

    assert slot.tzinfo is not None
    assert slot > now and slot > starts_at
    assert same_slot(slot, starts_at, zone)
    # The first such slot: a week earlier is not one, or not after both.
    earlier = (slot.astimezone(zone).replace(tzinfo=None) - timedelta(days=7)).replace(tzinfo=zone)
    exists = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == earlier.replace(
        tzinfo=None
    )
    assert not (exists and earlier > max(now, starts_at))


def test_the_review_page_suggests_from_the_same_series_only(app, librarian):
    monday = toronto(2031, 3, 17, 10, 30)
    today = series_member(app, monday)
    series_member(app, monday - timedelta(days=7), title="Toddler Time", count=(91, 91, 91))

    alone = librarian.get(f"/review/storytimes/{today}").get_data(as_text=True)
    series_member(app, monday - timedelta(days=7), count=(11, 7, 3))
    suggested = librarian.get(f"/review/storytimes/{today}").get_data(as_text=True)

    assert prefilled(alone) == (None, None, None) and "last time" not in alone
    assert prefilled(suggested) == ("11", "7", "3") and "last time" in suggested
