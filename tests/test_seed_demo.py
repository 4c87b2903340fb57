"""`flask --app storytime seed-demo`: a realistic, deterministic demo year, refused twice."""

from __future__ import annotations

import pytest
from factories import close_app, make_app

from storytime.extensions import db
from storytime.models import Branch, Share, SongbookEntry, Storytime


def _rows(app):
    with app.app_context():
        return db.session.execute(
            db.select(Share.kind, Share.text, Share.allow_screen).order_by(Share.id)
        ).all()


def test_seed_demo_fills_three_branches_and_refuses_to_run_twice(app, runner):
    result = runner.invoke(args=["seed-demo", "--weeks", "6", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "storytimes" in result.output
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Branch.id))).scalar() == 3
        storytimes = db.session.execute(db.select(db.func.count(Storytime.id))).scalar()
        assert 40 <= storytimes <= 70  # three a week at three branches, a few cancelled
        kinds = {kind for kind, _text, _screen in _rows(app)}
        assert kinds == {"hello", "tip", "song", "question", "idea"}
        twinkle = db.session.execute(
            db.select(db.func.count(db.func.distinct(Share.song_entry_id))).where(
                Share.text.icontains("twinkle")
            )
        ).scalar()
        assert twinkle == 1  # every spelling of Twinkle Twinkle in one songbook entry
    before = len(_rows(app))

    again = runner.invoke(args=["seed-demo", "--weeks", "6"])
    assert again.exit_code != 0
    assert "--force" in again.output
    assert len(_rows(app)) == before

    forced = runner.invoke(args=["seed-demo", "--weeks", "1", "--force"])
    assert forced.exit_code == 0, forced.output
    assert len(_rows(app)) > before
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Branch.id))).scalar() == 3
        assert db.session.execute(db.select(db.func.count(SongbookEntry.id))).scalar() < 25


def test_seed_demo_is_deterministic_for_a_seed(app, app_config, runner, tmp_path):
    if not app.config["IS_SQLITE"]:
        pytest.skip("compares with a second, SQLite database: on PostgreSQL that is two engines")
    runner.invoke(args=["seed-demo", "--weeks", "3", "--seed", "11"])
    other_config = {
        **app_config,
        "INSTANCE_PATH": str(tmp_path / "other"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite'}",
    }
    other = make_app(other_config)
    other.test_cli_runner().invoke(args=["seed-demo", "--weeks", "3", "--seed", "11"])
    try:
        assert _rows(app) == _rows(other)
    finally:
        close_app(other)
