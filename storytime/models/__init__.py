"""Typed SQLAlchemy models. Import them from here: `from storytime.models import Share`."""

from storytime.models.base import now_utc
from storytime.models.event import Event
from storytime.models.share import KINDS, FollowUp, Share
from storytime.models.songbook import PlannedSong, SongAlias, SongbookEntry
from storytime.models.staff import ROLES, ApiToken, Branch, Setting, StaffSession, User
from storytime.models.storytime import AUDIENCES, MODERATION_MODES, STATES, Prompt, Storytime

__all__ = [
    "AUDIENCES",
    "KINDS",
    "MODERATION_MODES",
    "ROLES",
    "STATES",
    "ApiToken",
    "Branch",
    "Event",
    "FollowUp",
    "PlannedSong",
    "Prompt",
    "Setting",
    "Share",
    "SongAlias",
    "SongbookEntry",
    "StaffSession",
    "Storytime",
    "User",
    "now_utc",
]
