"""The families' take-home recap at /j/<code>/recap, and the helper the closed join page uses."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _

from storytime.extensions import db
from storytime.models import FollowUp, Storytime
from storytime.ratelimits import code_lookup_limit
from storytime.review.recap import Recap, public_recap
from storytime.share.kinds import kind_heading
from storytime.storytimes.defaults import audience_label
from storytime.storytimes.service import find_by_code

# The families' take-home page lives beside the join link, outside /review.
public_bp = Blueprint("recap", __name__)
# Every page, staff or public, names kinds and audiences with these words; a macro imported
# without context (review/_filters.html) sees only these globals. `kind_label`, one share's
# kind, comes from the share blueprint's context processor.
public_bp.add_app_template_global(kind_heading, "kind_heading")
public_bp.add_app_template_global(audience_label, "audience_label")

FOLLOW_UPS_ON_BRANCH_PAGE = 5


@public_bp.route("/j/<code>/recap")
@code_lookup_limit
def recap(code: str):
    """Show a closed storytime's published recap; anything else is not found."""
    storytime = find_by_code(code)
    result = public_recap(storytime)
    if result is None and storytime is not None and storytime.state == "closed":
        # The TV's goodbye shows this link before the librarian has published the recap.
        return render_template(
            "errors/error.html",
            code=404,
            title=_("The recap is not ready yet"),
            message=_(
                "The librarian shares the songs and tips from storytime after it ends. "
                "Please scan the code again later."
            ),
        ), 404
    if result is None:
        abort(404)
    if code != storytime.code:
        return redirect(url_for("recap.recap", code=storytime.code))
    return render_template("review/recap_public.html", storytime=storytime, recap=result)


@public_bp.app_template_global("recap_for_join")
def recap_for_join(storytime: Storytime | None) -> Recap | None:
    """Return the published recap for the closed join page, or None."""
    return public_recap(storytime)


@public_bp.app_template_global("latest_follow_ups")
def latest_follow_ups(branch_id: int, limit: int = FOLLOW_UPS_ON_BRANCH_PAGE) -> list[FollowUp]:
    """Return a branch's newest "You asked, we did" follow-ups, for its public page."""
    return list(
        db.session.execute(
            db.select(FollowUp)
            .where(FollowUp.branch_id == branch_id)
            .order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
            .limit(limit)
        ).scalars()
    )
