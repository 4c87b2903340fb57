"""Who may do what: every route, tried as every kind of visitor, against one table.

The table is checked against the app's url_map, so a new route without an entry here
fails `test_every_route_has_an_entry`. Unsafe requests carry a valid CSRF token and an
empty body: an allowed visitor gets the view's own answer (often 400/422 for the empty
body), a refused one gets the refusal, and the world is re-seeded after any success.
"""

from __future__ import annotations

import pytest
from factories import TEST_DATABASE_URL, close_app, empty_postgres, make_app
from seeded_world import build_url, seed, sign_in

from storytime.extensions import db

ROLES = (
    "anonymous",
    "caregiver",
    "display",
    "other_librarian",
    "librarian",
    "coordinator",
    "admin",
)
# One world of accounts and storytimes serves the whole table; keep it between tests.
pytestmark = pytest.mark.module_database

L = "login"  # a redirect to the sign-in page
ALL = lambda status: (status,) * 7  # noqa: E731

# Pages: staff only; staff who run the storytime's branch; admins only.
STAFF_PAGE = (L, L, L, 200, 200, 200, 200)
RUN_PAGE = (L, L, L, 403, 200, 200, 200)
ADMIN_PAGE = (L, L, L, 403, 403, 403, 200)
# API: 401 without credentials; a phone or a display link is recognised and refused (403)
# by the live API, and simply not a staff credential (401) elsewhere.
STAFF_API = (401, 401, 401, 200, 200, 200, 200)
RUN_API = (401, 401, 401, 403, 200, 200, 200)


def run_page(allowed) -> tuple:
    return (L, L, L, 403, allowed, allowed, allowed)


def admin_page(allowed) -> tuple:
    return (L, L, L, 403, 403, 403, allowed)


TABLE: dict[tuple[str, str], tuple] = {
    # Public pages and endpoints.
    ("main.index", "GET"): ALL(200),
    ("main.join_by_code", "GET"): ALL(302),
    ("main.set_language", "POST"): ALL(302),
    ("main.health", "GET"): ALL(200),
    ("static", "GET"): ALL(200),
    ("share.privacy", "GET"): ALL(200),
    ("share.join", "GET"): ALL(200),
    ("share.status", "GET"): ALL(200),
    ("share.join", "POST"): ALL(400),  # an empty form: the page again, nothing stored
    ("recap.recap", "GET"): ALL(404),  # the storytime is open: no recap yet
    ("storytimes.branch_page", "GET"): ALL(302),  # to the storytime open now
    ("live.display", "GET"): ALL(200),  # the secret link is the credential
    ("auth.login", "GET"): (200, 200, 200, 302, 302, 302, 302),
    ("auth.login", "POST"): (400, 400, 400, 302, 302, 302, 302),
    ("auth.logout", "POST"): ALL(L),
    ("auth.setup", "GET"): ALL(404),  # staff exist: the setup link is dead
    ("auth.setup", "POST"): ALL(404),
    # A caregiver's own share: only the phone that sent it, everyone else "not found".
    ("share.edit", "GET"): (404, 200, 404, 404, 404, 404, 404),
    ("share.edit", "POST"): (404, 422, 404, 404, 404, 404, 404),
    ("share.delete", "GET"): (404, 200, 404, 404, 404, 404, 404),
    ("share.delete", "POST"): (404, 302, 404, 404, 404, 404, 404),
    ("api.delete_share", "DELETE"): (404, 204, 404, 404, 404, 404, 404),
    ("api.update_share", "PATCH"): ALL(400),  # not a JSON object, checked first
    ("api.create_share", "POST"): ALL(400),
    ("api.my_shares", "GET"): ALL(200),
    ("api.csrf_token", "GET"): ALL(200),
    ("api.openapi_document", "GET"): ALL(200),
    # Staff account pages.
    ("auth.tokens", "GET"): STAFF_PAGE,
    ("auth.tokens", "POST"): (L, L, L, 200, 200, 200, 200),  # a token with no name
    ("auth.revoke", "POST"): (L, L, L, 404, 302, 404, 404),  # token 1 is the librarian's
    ("auth.sessions", "GET"): STAFF_PAGE,
    # Session 1 is the visitor's own (the world has none until a visitor signs in, and is
    # made anew after each request): ending it signs out. Others': test_sessions.py.
    ("auth.end_one_session", "POST"): (L, L, L, L, L, L, L),
    ("auth.end_other_sessions", "POST"): (L, L, L, 302, 302, 302, 302),
    ("auth.change_password", "GET"): STAFF_PAGE,
    ("auth.change_password", "POST"): (L, L, L, 400, 400, 400, 400),
    # Admin.
    ("admin.branches", "GET"): ADMIN_PAGE,
    ("admin.branches", "POST"): admin_page(400),
    ("admin.toggle_branch", "POST"): admin_page(302),
    ("admin.settings_page", "GET"): ADMIN_PAGE,
    ("admin.settings_page", "POST"): admin_page(302),  # fields left out keep their value
    ("admin.staff", "GET"): ADMIN_PAGE,
    ("admin.staff", "POST"): admin_page(400),
    ("admin.toggle_staff", "POST"): admin_page(302),
    ("admin.staff_member", "GET"): ADMIN_PAGE,
    ("admin.staff_member", "POST"): admin_page(400),
    ("admin.reset_password", "POST"): admin_page(400),
    # Setting up storytimes.
    ("storytimes.index", "GET"): STAFF_PAGE,
    ("storytimes.new", "GET"): STAFF_PAGE,
    ("storytimes.new", "POST"): (L, L, L, 422, 422, 422, 422),
    ("storytimes.detail", "GET"): RUN_PAGE,
    ("storytimes.card", "GET"): RUN_PAGE,
    ("storytimes.qr_png", "GET"): RUN_PAGE,
    ("storytimes.qr_svg", "GET"): RUN_PAGE,
    ("storytimes.edit", "GET"): RUN_PAGE,
    ("storytimes.edit", "POST"): run_page(422),
    ("storytimes.delete", "GET"): RUN_PAGE,
    ("storytimes.delete", "POST"): run_page(409),  # an open storytime is not deleted
    ("storytimes.duplicate", "POST"): run_page(302),
    ("storytimes.set_state_view", "POST"): run_page(400),
    ("storytimes.branch_card", "GET"): STAFF_PAGE,
    ("storytimes.branch_qr", "GET"): STAFF_PAGE,
    ("storytimes.close", "GET"): RUN_PAGE,
    ("storytimes.close", "POST"): run_page(303),
    ("storytimes.wrap_up", "GET"): RUN_PAGE,
    ("storytimes.wrap_up_headcount", "POST"): run_page(303),
    ("storytimes.wrap_up_recap", "POST"): run_page(303),
    ("storytimes.wrap_up_include", "POST"): run_page(400),
    # TV screens: permanent links, pairing, and the staff pages for them.
    ("screens.show", "GET"): ALL(404),  # the world's display token is not a screen's
    ("screens.now", "GET"): ALL(404),
    ("screens.tv", "GET"): ALL(200),
    ("screens.tv_status", "GET"): ALL(400),  # no TV cookie
    ("screens.pair", "POST"): (L, L, L, 400, 400, 400, 400),  # no screen named
    ("screens.index", "GET"): (L, L, L, 302, 302, 200, 200),  # librarians: to their branch
    ("screens.branch", "GET"): RUN_PAGE,
    ("screens.branch", "POST"): run_page(303),  # empty room: the main room's link
    ("screens.replace", "POST"): run_page(404),  # no screen 1 in the world
    # The live room.
    ("live.dashboard", "GET"): RUN_PAGE,
    ("live.control", "POST"): run_page(302),
    ("live.share_action", "POST"): run_page(302),
    ("live.show_all_held", "POST"): run_page(302),
    ("live.playlist_sung", "POST"): run_page(302),
    ("live.playlist_screen", "POST"): run_page(302),
    ("api.playlist_get", "GET"): (401, 403, 403, 403, 200, 200, 200),
    ("api.playlist_screen", "POST"): (401, 403, 403, 403, 400, 400, 400),  # not a JSON object
    ("api.playlist_sung", "PUT"): (401, 403, 403, 403, 404, 404, 404),  # no such song
    ("api.playlist_sung", "DELETE"): (401, 403, 403, 403, 404, 404, 404),
    ("api.live_events", "GET"): (401, 403, 200, 403, 200, 200, 200),
    ("api.live_stream", "GET"): (401, 403, 200, 403, 200, 200, 200),
    ("api.moderate_share", "PATCH"): (401, 403, 403, 403, 400, 400, 400),  # not a JSON object
    ("api.delete_share_api", "DELETE"): (401, 403, 403, 403, 204, 204, 204),
    ("api.live_rotate_display_token", "POST"): (401, 403, 403, 403, 200, 200, 200),
    # Storytimes API.
    ("api.list_storytimes", "GET"): STAFF_API,
    ("api.create_storytime_api", "POST"): (401, 401, 401, 400, 400, 400, 400),
    ("api.get_storytime", "GET"): RUN_API,
    ("api.patch_storytime", "PATCH"): (401, 401, 401, 403, 400, 400, 400),
    ("api.delete_storytime_api", "DELETE"): (401, 401, 401, 403, 409, 409, 409),
    ("api.me", "GET"): STAFF_API,
    # Review.
    ("review.index", "GET"): STAFF_PAGE,
    ("review.charts_page", "GET"): STAFF_PAGE,
    ("review.export_range", "GET"): STAFF_PAGE,
    ("review.ideas", "GET"): STAFF_PAGE,
    ("review.questions", "GET"): STAFF_PAGE,
    ("review.search", "GET"): STAFF_PAGE,
    ("review.tips", "GET"): STAFF_PAGE,
    ("review.songbook", "GET"): STAFF_PAGE,
    ("review.song", "GET"): STAFF_PAGE,
    # The songbook is the whole library's: any staff may tidy it.
    ("review.plan", "POST"): (L, L, L, 303, 303, 303, 303),
    ("review.rename", "POST"): (L, L, L, 303, 303, 303, 303),
    ("review.split", "POST"): (L, L, L, 400, 400, 400, 400),
    ("review.merge", "GET"): (L, L, L, 303, 303, 303, 303),
    ("review.merge", "POST"): (L, L, L, 400, 400, 400, 400),
    ("review.unplan", "POST"): (L, L, L, 404, 404, 404, 404),  # no plan 1 in the world
    ("review.storytime", "GET"): RUN_PAGE,
    ("review.export_storytime", "GET"): RUN_PAGE,
    ("review.headcount", "POST"): run_page(303),
    ("review.recap_editor", "GET"): RUN_PAGE,
    ("review.recap_editor", "POST"): run_page(303),
    ("review.recap_include", "POST"): run_page(400),
    ("review.save_note", "POST"): run_page(303),
    # Follow-ups are public words of the library: coordinators and admins post them.
    ("review.post_follow_up", "POST"): (L, L, L, 403, 403, 422, 422),
    ("review.delete_follow_up", "POST"): (L, L, L, 403, 403, 404, 404),
    ("api.songbook_api", "GET"): STAFF_API,
    ("api.shares_export_csv", "GET"): STAFF_API,
    ("api.shares_export_json", "GET"): STAFF_API,
    ("api.storytime_export_csv", "GET"): RUN_API,
    ("api.storytime_export_json", "GET"): RUN_API,
    # Outcome check-ins: phones check in; staff read the figures.
    ("api.checkin", "POST"): ALL(400),
    ("api.checkin_form", "GET"): ALL(200),
    ("api.outcomes_api", "GET"): STAFF_API,
    ("api.outcomes_export_csv", "GET"): STAFF_API,
    ("api.outcomes_export_json", "GET"): STAFF_API,
    ("outcomes.ask", "POST"): run_page(302),
    ("outcomes.checkin_page", "GET"): ALL(200),
    ("outcomes.checkin_page", "POST"): ALL(422),
    ("outcomes.comments", "GET"): STAFF_PAGE,
    ("outcomes.index", "GET"): STAFF_PAGE,
    ("outcomes.report", "GET"): STAFF_PAGE,
    ("outcomes.save_wording", "POST"): admin_page(302),
}


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


@pytest.fixture(scope="module")
def module_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("authorisation")
    app = make_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(path / "instance"),
            "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{path / 'storytime.sqlite'}",
            "SECRET_KEY": "test-secret",
            "AUTO_MIGRATE": False,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://storytime.test",
            "SERVER_NAME": None,
        }
    )
    yield app
    close_app(app)


class Fresh:
    """The seeded world, re-made after any request that may have changed it."""

    def __init__(self, app) -> None:
        self.app = app
        self.world = None

    def reset(self):
        with self.app.app_context():
            db.session.remove()
            if self.app.config["IS_SQLITE"]:
                # Emptying is much faster than dropping; ids start again at 1.
                with db.engine.begin() as connection:
                    for table in reversed(db.metadata.sorted_tables):
                        connection.execute(table.delete())
            else:
                empty_postgres(self.app)
        self.world = seed(self.app)
        return self.world


@pytest.fixture(scope="module")
def fresh(module_app):
    state = Fresh(module_app)
    state.reset()
    return state


def visit(app, world, role: str, rule, method: str):
    """Send one request as that role; return its status, or "login" for a sign-in redirect."""
    client = app.test_client()
    headers = {}
    if role == "caregiver":
        client.set_cookie("st_phone", world.phone_cookie)
    elif role == "display":
        headers["X-Display-Token"] = world.display_token
    elif role in world.users:
        sign_in(client, world.users[role])
    if method != "GET":
        headers["X-CSRFToken"] = client.get("/api/v1/csrf").get_json()["csrf_token"]
    response = client.open(
        build_url(rule, world), method=method, headers=headers, csrf=False, buffered=False
    )
    status = response.status_code
    if status == 302 and "/login" in response.headers.get("Location", ""):
        status = L
    response.close()
    return status


def test_every_route_has_an_entry(module_app):
    missing = routes(module_app) - set(TABLE)
    assert not missing, f"add these routes to TABLE in {__file__}: {sorted(missing)}"
    assert not set(TABLE) - routes(module_app), "TABLE names routes that no longer exist"


@pytest.mark.parametrize(("endpoint", "method"), sorted(TABLE), ids=lambda v: str(v))
def test_each_role_gets_the_expected_answer(module_app, fresh, endpoint, method):
    rules = [r for r in module_app.url_map.iter_rules() if r.endpoint == endpoint]
    if not rules:
        pytest.fail(f"{endpoint} is in TABLE but not in the app")
    rule = rules[0]
    observed = []
    for role in ROLES:
        status = visit(module_app, fresh.world, role, rule, method)
        observed.append(status)
        if method != "GET" and (status == L or status < 400):
            fresh.reset()
    expected = TABLE[(endpoint, method)]
    table = {role: (want, got) for role, want, got in zip(ROLES, expected, observed, strict=True)}
    wrong = {role: pair for role, pair in table.items() if pair[0] != pair[1]}
    assert not wrong, f"{method} {rule.rule}: role -> (expected, got): {wrong}"
