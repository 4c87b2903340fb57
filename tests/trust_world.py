"""The old name of seeded_world.py (and factories.py), for three files with others' open work.

tests/test_purge.py, tests/test_songbook_privacy.py and tests/test_privacy_invariants.py
still import from here; once they import from seeded_world and factories, delete this.
"""

from __future__ import annotations

import factories
from factories import PASSWORD
from flask import current_app
from seeded_world import Phone, seed, share_rows, sign_in, table_snapshot

__all__ = ["PASSWORD", "Phone", "make_storytime", "seed", "share_rows", "sign_in", "table_snapshot"]


def make_storytime(branch_slug: str, **options) -> factories.NewStorytime:
    """The old signature: a storytime at that branch, in the app context already open."""
    return factories.make_storytime(current_app._get_current_object(), branch_slug, **options)
