"""Typed SQLAlchemy models. Import them from here: `from storytime.models import Share`."""

from storytime.models.base import now_utc
from storytime.models.display import DisplayPairing, DisplayScreen
from storytime.models.event import Event
from storytime.models.outcome import CHECKIN_KINDS, STATEMENTS, CheckIn
from storytime.models.share import KINDS, FollowUp, Share
from storytime.models.songbook import PlannedSong, SongAlias, SongbookEntry, SungSong
from storytime.models.staff import ROLES, ApiToken, Branch, Setting, StaffSession, User
from storytime.models.storytime import AUDIENCES, MODERATION_MODES, STATES, Prompt, Storytime

__all__ = [
    "AUDIENCES",
    "CHECKIN_KINDS",
    "KINDS",
    "MODERATION_MODES",
    "ROLES",
    "STATEMENTS",
    "STATES",
    "ApiToken",
    "Branch",
    "CheckIn",
    "DisplayPairing",
    "DisplayScreen",
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
    "SungSong",
    "User",
    "now_utc",
]
