"""Role checks on staff routes, and the admin's staff, branch and settings pages."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from factories import PASSWORD
from werkzeug.routing import AnyConverter, BaseConverter, Rule, UUIDConverter
from werkzeug.routing.converters import NumberConverter

from storytime.extensions import db
from storytime.models import Branch, User

ADMIN_PAGES = ["/admin/staff", "/admin/branches", "/admin/settings"]


def error_text(html: str) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>([^<]*)</p>', html)


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def staff_form(**overrides) -> dict:
    return {
        "display_name": "Lee Librarian",
        "email": "lee@library.example.org",
        "role": "librarian",
        "branch": "1",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **overrides,
    }


# --- who may open what --------------------------------------------------------------------


def staff_rules(app) -> list[Rule]:
    """Every route whose view is guarded by `staff_required`."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if hasattr(app.view_functions[rule.endpoint], "staff_roles")
    ]


def example_value(converter: BaseConverter) -> object:
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if isinstance(converter, NumberConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    return "x"


def example_url(rule: Rule) -> str:
    """Fill a rule's variables with made-up values: the check must come before any lookup."""
    values = {name: example_value(rule._converters[name]) for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def test_the_foundation_staff_routes_are_guarded(app):
    endpoints = {rule.endpoint for rule in staff_rules(app)}

    assert {
        "admin.staff",
        "admin.branches",
        "admin.settings_page",
        "admin.toggle_staff",
        "admin.toggle_branch",
        "auth.tokens",
        "auth.revoke",
        "api.me",
    } <= endpoints


def test_anonymous_visitors_are_sent_to_login_from_every_staff_route(app, client):
    for rule in staff_rules(app):
        url = example_url(rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]

        response = client.open(url, method=method)

        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url)
            assert response.get_json()["error"] == "unauthorized", url
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            location = urlsplit(response.location)
            assert location.path == "/login", url
            assert location.query == f"next={urlsplit(url).path}" or method != "GET", url


@pytest.mark.parametrize("role", ["librarian", "coordinator"])
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_librarians_and_coordinators_get_403_on_admin_pages(client, staff, role, page):
    staff.signed_in(client, role)

    response = client.get(page)

    assert response.status_code == 403
    assert "This page is for other staff" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["librarian", "coordinator"])
def test_librarians_and_coordinators_cannot_change_staff_or_branches(app, client, staff, role):
    branch_id = staff.branch("Eastside", "eastside")
    other_id = staff.user("librarian", "other@library.example.org", "eastside")
    staff.signed_in(client, role)

    attempts = [
        client.post("/admin/staff", data=staff_form(email="new@library.example.org")),
        client.post("/admin/branches", data={"name": "Westside"}),
        client.post(f"/admin/staff/{other_id}/active"),
        client.post(f"/admin/branches/{branch_id}/active"),
        client.post("/admin/settings", data={"library_name": "Mine", "timezone": "UTC"}),
    ]

    assert [r.status_code for r in attempts] == [403] * len(attempts)
    with app.app_context():
        assert db.session.get(User, other_id).active
        assert db.session.get(Branch, branch_id).active
        assert (
            db.session.execute(db.select(User).filter_by(email="new@library.example.org")).first()
            is None
        )
    assert count(app, Branch) == 2


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admins_open_every_admin_page(client, staff, page):
    staff.signed_in(client, "admin", branch=None)

    assert client.get(page).status_code == 200


def test_admin_links_show_only_for_admins(app, client, staff):
    staff.signed_in(client, "librarian")
    admin = app.test_client()
    staff.signed_in(admin, "admin", branch=None)

    assert 'href="/admin/staff"' not in client.get("/").get_data(as_text=True)
    assert 'href="/admin/staff"' in admin.get("/").get_data(as_text=True)


# --- staff --------------------------------------------------------------------------------


@pytest.fixture
def admin(client, staff):
    """A client signed in as an admin; branch 1 is 'Central'."""
    staff.signed_in(client, "admin", branch="central")
    return client


@pytest.mark.parametrize(
    ("role", "branch"),
    [("librarian", "1"), ("coordinator", "0"), ("admin", "0"), ("coordinator", "1")],
)
def test_admin_adds_a_staff_member_who_can_then_sign_in(app, admin, staff, role, branch):
    response = admin.post(
        "/admin/staff", data=staff_form(email="Lee@Library.Example.org", role=role, branch=branch)
    )

    assert response.status_code == 302
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert "Account for lee@library.example.org added." in page
    assert "Lee Librarian" in page
    newcomer = app.test_client()
    assert staff.login(newcomer, "lee@library.example.org").status_code == 302
    me = newcomer.get("/api/v1/me").get_json()
    assert me["role"] == role
    assert me["branch"] == ("central" if branch == "1" else None)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-email"}, "email", "Invalid email address."),
        ({"email": "ADMIN@central.example.org"}, "email", "An account with this email"),
        ({"display_name": ""}, "display_name", "This field is required."),
        ({"password": "short", "confirm": "short"}, "password", "Use at least 10 characters."),
        ({"confirm": "another password"}, "confirm", "Passwords do not match."),
        ({"branch": "0"}, "branch", "A librarian belongs to a branch."),
        ({"branch": "999"}, "branch", "Not a valid choice."),
        ({"branch": "central"}, "branch", "Invalid Choice"),
        ({"role": "superuser"}, "role", "Not a valid choice."),
    ],
)
def test_bad_staff_input_is_shown_and_nothing_is_stored(app, admin, overrides, field, message):
    before = count(app, User)

    response = admin.post("/admin/staff", data=staff_form(**overrides))

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert any(message.lower() in error.lower() for error in error_text(html)), error_text(html)
    assert count(app, User) == before


def test_admin_deactivates_and_reactivates_staff(app, admin, staff):
    user_id = staff.user("librarian", "lee@library.example.org")
    lee = app.test_client()
    staff.login(lee, "lee@library.example.org")
    assert lee.get("/account/tokens").status_code == 200

    assert admin.post(f"/admin/staff/{user_id}/active").status_code == 302
    assert "lee@library.example.org deactivated." in admin.get("/admin/staff").get_data(
        as_text=True
    )
    # The open session stops working at once, not when it expires.
    bounced = lee.get("/account/tokens")
    assert bounced.status_code == 302
    assert urlsplit(bounced.location).path == "/login"
    assert staff.login(lee, "lee@library.example.org").status_code == 400

    assert admin.post(f"/admin/staff/{user_id}/active").status_code == 302
    assert staff.login(lee, "lee@library.example.org").status_code == 302
    assert lee.get("/account/tokens").status_code == 200


def test_admin_cannot_deactivate_their_own_account(app, admin):
    with app.app_context():
        own = db.session.execute(db.select(User).filter_by(role="admin")).scalar_one()

    response = admin.post(f"/admin/staff/{own.id}/active")

    assert response.status_code == 400
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert admin.get("/admin/staff").status_code == 200


@pytest.mark.parametrize("url", ["/admin/staff/999/active", "/admin/branches/999/active"])
def test_toggling_something_that_does_not_exist_is_404(admin, url):
    assert admin.post(url).status_code == 404


# --- branches -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "slug"),
    [
        ({"name": "Rivière Branch"}, "riviere-branch"),
        ({"name": "  Eastside  ", "slug": ""}, "eastside"),
        ({"name": "Westside Library", "slug": "west"}, "west"),
        ({"name": "North", "slug": "North-2"}, "north-2"),
    ],
)
def test_admin_adds_a_branch(app, admin, data, slug):
    response = admin.post("/admin/branches", data=data)

    assert response.status_code == 302
    page = admin.get("/admin/branches").get_data(as_text=True)
    assert f"<code>/b/{slug}</code>" in page
    assert f"Branch {data['name'].strip()} added." in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "Central"}, "name", "A branch with this name already exists."),
        ({"name": "Somewhere", "slug": "central"}, "slug", "“central” is taken."),
        ({"name": "Somewhere", "slug": " Central "}, "slug", "“central” is taken."),
        ({"name": "Somewhere", "slug": "Bad slug!"}, "slug", "Use lowercase letters"),
        ({"name": "Somewhere", "slug": "a--b"}, "slug", "Use lowercase letters"),
        ({"name": "Central!"}, "slug", "“central” is taken."),
        ({"name": "!!!"}, "slug", "Give a short name for links"),
        ({"name": "   "}, "name", "This field is required."),
        ({"name": "x" * 121}, "name", "Field cannot be longer than 120 characters."),
    ],
)
def test_bad_branch_input_is_shown_and_nothing_is_stored(app, admin, data, field, message):
    before = count(app, Branch)

    response = admin.post("/admin/branches", data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert any(message in error for error in error_text(html)), error_text(html)
    assert count(app, Branch) == before


def test_admin_deactivates_and_reactivates_a_branch(app, admin):
    with app.app_context():
        branch_id = db.session.execute(db.select(Branch.id).filter_by(slug="central")).scalar()

    admin.post(f"/admin/branches/{branch_id}/active")
    page = admin.get("/admin/branches").get_data(as_text=True)
    assert "Central deactivated." in page
    assert ">Reactivate<" in page
    # An inactive branch is not offered for new staff.
    assert '<option value="1">Central</option>' not in admin.get("/admin/staff").get_data(
        as_text=True
    )

    admin.post(f"/admin/branches/{branch_id}/active")
    assert "Central reactivated." in admin.get("/admin/branches").get_data(as_text=True)


# --- settings -----------------------------------------------------------------------------


def test_admin_changes_the_library_name_and_time_zone(admin, client):
    response = admin.post(
        "/admin/settings",
        data={"library_name": "Maple Grove Library", "timezone": "America/Toronto"},
    )

    assert response.status_code == 302
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Maple Grove Library" in page
    assert 'value="America/Toronto"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"library_name": "X", "timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"library_name": "", "timezone": "UTC"}, "This field is required."),
    ],
)
def test_bad_settings_are_refused(admin, data, message):
    before = admin.get("/admin/settings").get_data(as_text=True)

    response = admin.post("/admin/settings", data=data)

    assert response.status_code == 400
    assert any(message in error for error in error_text(response.get_data(as_text=True)))
    assert "Our Library" in before
    assert "Our Library" in admin.get("/admin/settings").get_data(as_text=True)


def test_the_word_list_is_saved_and_kept_when_a_request_leaves_it_out(admin):
    admin.post(
        "/admin/settings",
        data={"library_name": "Our Library", "timezone": "UTC", "word_list": "alpha\n Beta \n"},
    )
    admin.post("/admin/settings", data={"library_name": "Renamed", "timezone": "UTC"})

    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "alpha\nbeta</textarea>" in page
    assert 'value="Renamed"' in page
