"""Review pages: filters, search, one storytime, headcount, questions, tips, ideas, charts, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import make_storytime
from review_data import add_share
from sqlalchemy import event

from storytime.extensions import db
from storytime.models import FollowUp, Share, Storytime

PAGES = [
    "/review/",
    "/review/search?q=x",
    "/review/songbook",
    "/review/questions",
    "/review/tips",
    "/review/ideas",
    "/review/charts",
    "/review/storytimes/{st}",
    "/review/storytimes/{st}/recap",
    "/review/storytimes/{st}/export.csv",
    "/review/storytimes/{st}/export.json",
    "/review/export.csv",
    "/review/export.json",
]
POSTS = [
    "/review/storytimes/{st}/headcount",
    "/review/storytimes/{st}/recap",
    "/review/storytimes/{st}/recap/shares",
    "/review/shares/{share}/note",
    "/review/shares/{share}/follow-up",
    "/review/songbook/merge",
]


@pytest.fixture
def central(app):
    st = make_storytime(app, "central").id
    share = add_share(app, st, "idea", "A Saturday session please")
    return st, share


@pytest.mark.parametrize("path", PAGES)
def test_every_review_page_needs_a_staff_sign_in(client, central, path):
    st, share = central
    response = client.get(path.format(st=st, share=share))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", POSTS)
def test_every_review_action_needs_a_staff_sign_in(app, client, central, path):
    st, share = central
    response = client.post(path.format(st=st, share=share), data={"note": "x", "text": "x"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Share, share).note == ""
        assert db.session.execute(db.select(FollowUp)).first() is None


@pytest.mark.parametrize("role", ["librarian", "coordinator", "admin"])
@pytest.mark.parametrize("path", PAGES)
def test_staff_of_the_branch_open_every_page(client, staff, central, role, path):
    st, share = central
    staff.signed_in(client, role, "central")
    assert client.get(path.format(st=st, share=share)).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/review/storytimes/{st}",
        "/review/storytimes/{st}/recap",
        "/review/storytimes/{st}/export.csv",
    ],
)
def test_a_librarian_cannot_review_another_branch(client, staff, central, path):
    st, _share = central
    staff.signed_in(client, "librarian", "riverside")
    assert client.get(path.format(st=st)).status_code == 403


def test_a_librarian_lists_only_their_branch_and_cannot_filter_to_another(app, client, staff):
    make_storytime(app, "central", title="Central Rhymes")
    make_storytime(app, "riverside", title="River Rhymes")
    staff.signed_in(client, "librarian", "central")
    html = client.get("/review/").get_data(as_text=True)
    assert "Central Rhymes" in html and "River Rhymes" not in html
    response = client.get("/review/?branch=riverside")
    assert response.status_code == 400
    assert "River Rhymes" not in response.get_data(as_text=True)
    assert "your own branch" in response.get_data(as_text=True)


def test_the_list_filters_by_branch_dates_audience_and_theme(app, client, staff):
    day = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
    make_storytime(app, "central", title="Alpha", starts_at=day, audience="babies", theme="Farm")
    make_storytime(
        app,
        "central",
        title="Bravo",
        starts_at=day + timedelta(days=30),
        audience="toddlers",
        theme="Snow days",
    )
    make_storytime(
        app,
        "riverside",
        title="Charlie",
        starts_at=day + timedelta(days=60),
        audience="babies",
        theme="Farm animals",
    )
    staff.signed_in(client, "coordinator", None)

    def titles(query):
        html = client.get(f"/review/{query}").get_data(as_text=True)
        return [t for t in ("Alpha", "Bravo", "Charlie") if f">{t}</a>" in html]

    assert titles("") == ["Alpha", "Bravo", "Charlie"]
    assert titles("?branch=riverside") == ["Charlie"]
    assert titles("?from=2025-03-10") == ["Bravo", "Charlie"]
    assert titles("?to=2025-03-04") == ["Alpha"]
    assert titles("?audience=babies") == ["Alpha", "Charlie"]
    assert titles("?theme=farm") == ["Alpha", "Charlie"]
    assert titles("?theme=FARM&branch=central&audience=babies") == ["Alpha"]


@pytest.mark.parametrize(
    "query", ["?from=tomorrow", "?to=2025-02-30", "?audience=teens", "?branch=nowhere"]
)
def test_bad_filters_are_explained(client, staff, query):
    staff.signed_in(client, "coordinator", None)
    response = client.get(f"/review/{query}")
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)


def test_the_list_counts_shares_by_kind(app, client, staff):
    st = make_storytime(app, title="Counted").id
    for kind, n in (("hello", 3), ("song", 2), ("question", 1)):
        for i in range(n):
            add_share(app, st, kind, f"{kind} {i}")
    staff.signed_in(client)
    html = client.get("/review/").get_data(as_text=True)
    row = html[html.index(">Counted</a>") :].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells[:5] == ["3", "0", "2", "1", "0"]  # hello, tip, song, question, idea


def _count_queries(app, client, path):
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_list_runs_the_same_few_queries_however_many_storytimes(app, client, staff):
    staff.signed_in(client)
    base = datetime(2025, 1, 6, 10, tzinfo=UTC)
    st = make_storytime(app, starts_at=base).id
    add_share(app, st, "hello", "hi")
    few = _count_queries(app, client, "/review/")
    for i in range(1, 25):
        add_share(app, make_storytime(app, starts_at=base + timedelta(days=i)).id, "tip", "x")
    assert _count_queries(app, client, "/review/") == few


def test_the_list_is_paginated(app, client, staff):
    base = datetime(2025, 1, 6, 10, tzinfo=UTC)
    for i in range(30):
        make_storytime(app, title=f"Session {i:02d}", starts_at=base + timedelta(days=i))
    staff.signed_in(client)
    first = client.get("/review/").get_data(as_text=True)
    second = client.get("/review/?page=2").get_data(as_text=True)
    assert "Session 29" in first and "Session 04" not in first
    assert "Session 04" in second and "Session 29" not in second
    assert "Page 2 of 2" in second


def test_search_finds_words_in_any_share_and_escapes_wildcards(app, client, staff):
    st = make_storytime(app).id
    add_share(app, st, "tip", "We read 100% of the time")
    add_share(app, st, "tip", "We read 1000 books")
    add_share(app, st, "question", "Is snake_case a book?")
    add_share(app, st, "idea", "Una hora del cuento en ESPAÑOL")
    staff.signed_in(client)

    def found(q):
        html = client.get("/review/search", query_string={"q": q}).get_data(as_text=True)
        return sorted(t for t in ("100%", "1000", "snake_case", "ESPAÑOL") if t in html)

    assert found("100%") == ["100%"]
    assert found("e_c") == ["snake_case"]
    assert found("we READ") == ["100%", "1000"]
    assert found("ESPAÑOL") == ["ESPAÑOL"]
    assert found("del cuento") == ["ESPAÑOL"]


def test_one_storytime_shows_every_share_its_state_and_phones(app, client, staff):
    st = make_storytime(app).id
    add_share(app, st, "hello", "Hi from Mei", name="Mei", phone="a", on_screen=True, pinned=True)
    add_share(app, st, "question", "Private worry", allow_screen=False, phone="b")
    add_share(app, st, "song", "Twinkle twinkle", phone="b", starred=True)
    staff.signed_in(client)
    html = client.get(f"/review/storytimes/{st}").get_data(as_text=True)
    for text in ("Hi from Mei", "Private worry", "Twinkle twinkle", "Staff only", "Pinned",
                 "On screen", "Starred", "Phones that shared"):  # fmt: skip
        assert text in html
    assert "<dt>Phones that shared</dt><dd>2</dd>" in html


def test_the_headcount_is_saved_in_three_numbers(app, client, staff):
    st = make_storytime(app).id
    staff.signed_in(client)
    page = client.get(f"/review/storytimes/{st}").get_data(as_text=True)
    assert 'inputmode="numeric"' in page and "review-headcount.js" in page
    response = client.post(
        f"/review/storytimes/{st}/headcount", data={"adults": "12", "children": "9", "babies": "4"}
    )
    assert response.status_code == 303
    with app.app_context():
        saved = db.session.get(Storytime, st)
        assert (saved.headcount_adults, saved.headcount_children, saved.headcount_babies) == (
            12,
            9,
            4,
        )


@pytest.mark.parametrize(
    "data",
    [{"adults": "-1"}, {"children": "lots"}, {"babies": "5000"}, {"adults": "2.5"}],
)
def test_a_bad_headcount_changes_nothing(app, client, staff, data):
    st = make_storytime(app).id
    staff.signed_in(client)
    client.post(
        f"/review/storytimes/{st}/headcount", data={"adults": "3", "children": "2", "babies": "1"}
    )
    response = client.post(f"/review/storytimes/{st}/headcount", data=data, follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(Storytime, st)
        assert (saved.headcount_adults, saved.headcount_children, saved.headcount_babies) == (
            3,
            2,
            1,
        )


def test_questions_get_a_follow_up_note_and_the_open_filter(app, client, staff):
    st = make_storytime(app).id
    q1 = add_share(app, st, "question", "Books in Arabic?", allow_screen=False)
    add_share(app, st, "question", "Puppets to borrow?")
    staff.signed_in(client)
    response = client.post(
        f"/review/shares/{q1}/note", data={"note": "Yes, shelf 3.", "answered": "y"}
    )
    assert response.status_code == 303
    with app.app_context():
        share = db.session.get(Share, q1)
        assert (share.note, share.answered) == ("Yes, shelf 3.", True)
    everything = client.get("/review/questions").get_data(as_text=True)
    assert "Books in Arabic?" in everything and "Yes, shelf 3." in everything
    open_only = client.get("/review/questions?open=1").get_data(as_text=True)
    assert "Puppets to borrow?" in open_only and "Books in Arabic?" not in open_only


def test_a_librarian_cannot_note_another_branchs_question(app, client, staff):
    st = make_storytime(app, "central").id
    q = add_share(app, st, "question", "Books?")
    staff.signed_in(client, "librarian", "riverside")
    assert client.post(f"/review/shares/{q}/note", data={"note": "x"}).status_code == 403


def test_tips_are_searchable_by_theme_and_words(app, client, staff):
    farm = make_storytime(app, theme="On the farm").id
    sea = make_storytime(app, theme="Under the sea").id
    add_share(app, farm, "tip", "Moo like a cow at bath time")
    add_share(app, sea, "tip", "Blow bubbles together")
    staff.signed_in(client)
    html = client.get("/review/tips?theme=farm").get_data(as_text=True)
    assert "Moo like a cow" in html and "Blow bubbles" not in html
    html = client.get("/review/tips?q=bubbles").get_data(as_text=True)
    assert "Blow bubbles" in html and "Moo like" not in html


def test_ideas_are_counted_by_branch_and_month(app, client, staff):
    march = datetime(2025, 3, 4, 10, tzinfo=UTC)
    a = make_storytime(app, "central", starts_at=march).id
    b = make_storytime(app, "riverside", starts_at=march + timedelta(days=31)).id
    add_share(app, a, "idea", "Saturday sessions")
    add_share(app, a, "idea", "More Somali books")
    add_share(app, b, "idea", "Stroller parking")
    staff.signed_in(client, "coordinator", None)
    html = client.get("/review/ideas").get_data(as_text=True)
    assert "2025-03" in html and "2025-04" in html
    row = html[html.index('<th scope="row">Central</th>') :].split("</tr>")[0]
    assert '<td class="num">2</td><td class="num">0</td>' in row


def test_only_coordinators_post_you_asked_we_did(app, client, staff):
    st = make_storytime(app, "central").id
    idea = add_share(app, st, "idea", "Saturday sessions")
    hello = add_share(app, st, "hello", "Hi")
    staff.signed_in(client, "librarian", "central")
    assert client.post(f"/review/shares/{idea}/follow-up", data={"text": "Done"}).status_code == 403
    client.post("/logout")
    staff.signed_in(client, "coordinator", None)
    assert client.post(f"/review/shares/{hello}/follow-up", data={"text": "x"}).status_code == 422
    response = client.post(
        f"/review/shares/{idea}/follow-up", data={"text": "Saturday storytime starts in May"}
    )
    assert response.status_code == 303
    client.post(f"/review/shares/{idea}/follow-up", data={"text": ""})  # empty: refused
    with app.app_context():
        follow_ups = db.session.execute(db.select(FollowUp)).scalars().all()
        assert [(f.text, f.branch.slug, f.share_id) for f in follow_ups] == [
            ("Saturday storytime starts in May", "central", idea)
        ]
    assert "Saturday storytime starts in May" in client.get("/review/ideas").get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["/\\evil.example", "//evil.example", "https://evil.example", "/\t/evil.example"]
)
def test_a_review_form_goes_back_only_to_a_page_of_this_site(app, client, staff, target):
    st = make_storytime(app, "central").id
    idea = add_share(app, st, "idea", "Saturday sessions")
    staff.signed_in(client, "coordinator", None)
    posts = [  # saved, and refused (an empty follow-up): both go back
        (f"/review/shares/{idea}/note", {"note": "Noted"}, "/review/questions"),
        (f"/review/shares/{idea}/follow-up", {"text": "Saturdays from May"}, "/review/ideas"),
        (f"/review/shares/{idea}/follow-up", {"text": ""}, "/review/ideas"),
    ]
    for url, data, page in posts:
        response = client.post(url, data={**data, "next": target})
        assert response.status_code == 303
        assert response.headers["Location"].split("#")[0] == page, (url, data)
    with app.app_context():
        follow_up = db.session.execute(db.select(FollowUp.id)).scalar_one()
    response = client.post(f"/review/follow-ups/{follow_up}/delete", data={"next": target})
    assert response.headers["Location"] == "/review/ideas"


def test_a_review_form_goes_back_to_the_page_it_came_from(app, client, staff):
    st = make_storytime(app, "central").id
    question = add_share(app, st, "question", "Books in Arabic?")
    staff.signed_in(client)
    response = client.post(
        f"/review/shares/{question}/note",
        data={"note": "Shelf 3", "next": "/review/questions?open=1&page=2"},
    )
    assert response.headers["Location"] == f"/review/questions?open=1&page=2#share-{question}"


def test_charts_are_svg_with_title_desc_and_a_table(app, client, staff):
    st = make_storytime(app).id
    add_share(app, st, "song", "<script>alert(1)</script> song")
    add_share(app, st, "tip", "tip")
    staff.signed_in(client)
    html = client.get("/review/charts").get_data(as_text=True)
    assert html.count("<svg") == 3
    assert html.count("<title id=") == 3 and html.count("<desc id=") == 3
    assert "<pattern" in html  # kinds differ by pattern, not colour alone
    assert "<table" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_the_branch_page_lists_the_latest_follow_ups(app, client, staff):
    st = make_storytime(app, "central").id
    idea = add_share(app, st, "idea", "Saturday sessions")
    staff.signed_in(client, "coordinator", None)
    client.post(f"/review/shares/{idea}/follow-up", data={"text": "Saturdays start in May"})
    client.post("/logout")
    with app.app_context():
        db.session.get(Storytime, st).state = "closed"
        db.session.commit()
    html = client.get("/b/central").get_data(as_text=True)
    assert "You asked, we did" in html and "Saturdays start in May" in html
    staff.branch("Riverside", "riverside")
    other = client.get("/b/riverside")
    assert other.status_code == 200
    assert "Saturdays start in May" not in other.get_data(as_text=True)


def test_an_uncounted_storytime_starts_from_last_times_headcount(app, client, staff):
    day = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
    earlier = make_storytime(app, starts_at=day).id
    later = make_storytime(app, starts_at=day + timedelta(days=7)).id
    staff.signed_in(client)
    client.post(
        f"/review/storytimes/{earlier}/headcount",
        data={"adults": "14", "children": "6", "babies": "8"},
    )
    html = client.get(f"/review/storytimes/{later}").get_data(as_text=True)
    assert "last time" in html
    assert 'value="14"' in html and 'value="6"' in html and 'value="8"' in html
    with app.app_context():
        assert db.session.get(Storytime, later).headcount_adults is None  # only a suggestion
