"""`flask --app storytime seed-demo`: a realistic year of storytimes at three branches.

The content is deterministic for a given `--seed` (names, texts, counts,
times); join codes and display tokens stay secret random values. Rows are
inserted in bulk, so a year (about 450 storytimes and 8,000 shares) takes a
few seconds. Running it twice is refused unless `--force` asks for more.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import insert

from storytime import settings
from storytime.extensions import db
from storytime.models import (
    KINDS,
    Branch,
    CheckIn,
    FollowUp,
    Prompt,
    Setting,
    Share,
    Storytime,
)
from storytime.models.outcome import FOLLOW_UP_STATEMENTS, IMMEDIATE_STATEMENTS
from storytime.songbook.grouping import KeyMatcher, file_title
from storytime.songbook.service import add_alias, known_keys
from storytime.storytimes.service import CODE_ALPHABET, new_code

MARKER = "demo_seeded_at"
BRANCHES = (("Central Library", "central"), ("Riverside", "riverside"), ("Northgate", "northgate"))
# (weekday, local time, audience, title)
WEEKLY = (
    (1, time(10, 30), "babies", "Baby Rhyme Time"),
    (3, time(10, 30), "toddlers", "Toddler Tales"),
    (5, time(11, 0), "families", "Family Storytime"),
)
THEMES = (
    "Animals", "Bedtime", "Weather", "Colours", "On the farm", "Under the sea", "Trains and trucks",
    "Friends", "Autumn leaves", "Snow days", "Gardens", "Bath time", "Music and dancing",
    "Opposites", "Counting", "Lunar New Year", "Family",
)  # fmt: skip
NAMES = (
    "Amira", "Sofia", "Liam", "Mateo", "Chloé", "Yusuf", "Mei", "Olivia", "Noah", "Aarav",
    "Zainab", "Lucía", "Hugo", "Anh", "Fatima", "Ewa", "Kofi", "Sara", "Jonas", "Leila",
    "Priya", "Diego", "Hana", "Tomás", "Nia", "Omar", "Inès", "Wei", "Ayaan", "Maya",
)  # fmt: skip
HELLOS = (
    "Hello from {name} and baby!", "Hi everyone, {name} here with the twins",
    "¡Hola! Somos {name} y su abuela", "Bonjour de la part de {name} 👋",
    "مرحبا من {name}", "{name} 和妈妈来了 😊", "Xin chào! {name} đây",
    "Cześć! {name} i tata", "First time here — {name} says hi!", "Hello hello from {name} 🌟",
    "Salaan from {name} and family",
)  # fmt: skip
TIPS = (
    "Singing in the car calms our little one on long drives.",
    "We read the same board book every night; she now turns the pages herself.",
    "Leemos en español en casa y en inglés en la biblioteca. ¡Funciona!",
    "Bath time is our rhyme time: we count toes in two languages.",
    "Un conseil : les comptines avec les doigts aident à patienter chez le médecin.",
    "Library cards for babies are free: ask at the desk!",
    "Point at pictures and name them, even before they talk.",
    "We made a tiny book with family photos; he loves it.",
    "唱儿歌的时候放慢速度，宝宝更容易跟着拍手。",  # noqa: RUF001 (Chinese punctuation)
    "Đọc sách trước giờ ngủ giúp bé ngủ ngon hơn.",
    "Turn off the TV during meals and talk about the food's colours.",
    "Puppets from old socks are great for retelling stories.",
)
SONGS = (
    ("Twinkle, Twinkle Little Star", "twinkle twinkle little star!", "Twinkle twinkle",
     "Twinkle Twinkle Little Star ⭐"),
    ("The Wheels on the Bus", "wheels on the bus", "The wheels on the bus go round and round"),
    ("Itsy Bitsy Spider", "itsy-bitsy spider", "Itsy bitsy spider 🕷️"),
    ("Incy Wincy Spider",),
    ("Frère Jacques", "frere jacques 🎵", "Frère Jacques, dormez-vous?"),
    ("Los pollitos dicen", "los pollitos", "Los pollitos dicen pío pío"),
    ("Head, Shoulders, Knees and Toes", "head shoulders knees & toes"),
    ("Row, Row, Row Your Boat", "row row row your boat"),
    ("Old MacDonald Had a Farm", "Old Macdonald"),
    ("Baa Baa Black Sheep", "baa baa black sheep!"),
    ("If You're Happy and You Know It", "if youre happy and you know it"),
    ("Pin Pon es un muñeco", "pin pon"),
    ("Ainsi font, font, font", "ainsi font font font les petites marionnettes"),
    ("两只老虎",),
    ("Five Little Ducks", "5 little ducks", "five little ducks went out one day"),
    ("Hickory Dickory Dock",),
    ("Sana sana colita de rana",),
)  # fmt: skip
QUESTIONS = (
    "How much screen time is OK for a two-year-old?",
    "Do you have books in Arabic for toddlers?",
    "¿Hay cuentacuentos en español los sábados?",
    "My son doesn't sit still during stories. Is that normal?",
    "Can we borrow the puppets?",
    "What's a good first book for a 6-month-old?",
    "Est-ce qu'il y a des livres bilingues français-anglais ?",
    "When do you start the toddler sessions again after summer?",
    "Is there a quiet space for nursing?",
)
ANSWERS = (
    "Yes! Ask at the children's desk; we keep a shelf by the window.",
    "Totally normal: moving while listening is still listening.",
    "Board books with faces and high contrast are great. We made a list at the desk.",
    "",
)
IDEAS = (
    "A Saturday session for working parents please!",
    "More books in Somali would be wonderful",
    "Could we have a stroller parking spot inside?",
    "Sessions in Spanish once a month?",
    "A sign-language storytime",
    "Changing table in the ground floor restroom",
    "Une heure du conte en français, s'il vous plaît",
    "Lending bags with toys and books for newcomers",
)
CHECKIN_LIKED = (
    "The bubbles at the end!", "Learning a new rhyme to sing at bath time.",
    "Meeting other parents.", "Las canciones con movimientos.", "Les marionnettes.",
    "My son said his first 'more' during the song!", "The calm, friendly librarian.",
)  # fmt: skip
CHECKIN_WISHES = (
    "A Saturday session for working parents.", "More books in Arabic to borrow.",
    "A little more time to play after.", "Rhymes printed on a sheet to take home.",
    "Un horario por la tarde.",
)  # fmt: skip
KIND_WEIGHTS = {"hello": 34, "tip": 16, "song": 26, "question": 13, "idea": 11}
SCREEN_CHANCE = {"hello": 0.9, "tip": 0.85, "song": 0.95, "question": 0.3, "idea": 0.5}


def _client_id(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))


def _branches() -> list[Branch]:
    branches = []
    for name, slug in BRANCHES:
        branch = db.session.execute(db.select(Branch).where(Branch.slug == slug)).scalar()
        if branch is None:
            branch = Branch(name=name, slug=slug)
            db.session.add(branch)
        branches.append(branch)
    db.session.flush()
    return branches


def _dates(weeks: int, today: date) -> list[date]:
    start = today - timedelta(weeks=weeks)
    return [start + timedelta(days=i) for i in range((today - start).days + 8)]


def _share_text(rng: random.Random, kind: str) -> tuple[str, str | None]:
    name = rng.choice(NAMES)
    if kind == "hello":
        return rng.choice(HELLOS).format(name=name), name
    if kind == "tip":
        return rng.choice(TIPS), name if rng.random() < 0.5 else None
    if kind == "song":
        # Popular songs come up more often, in whichever spelling the family types.
        variants = SONGS[min(int(rng.expovariate(0.25)), len(SONGS) - 1)]
        return rng.choice(variants), None
    if kind == "question":
        return rng.choice(QUESTIONS), None
    return rng.choice(IDEAS), None


def seed(seed_value: int = 2024, weeks: int = 52) -> dict[str, int]:
    """Insert the demo year; return how many rows of each kind were added."""
    rng = random.Random(seed_value)
    zone = ZoneInfo(settings.timezone())
    today = datetime.now(zone).date()
    branches = _branches()
    families = {b.id: [f"{b.slug}-{i}" for i in range(70)] for b in branches}
    # The known keys stay in memory: thousands of songs are filed without a look-up each.
    matcher = KeyMatcher(known_keys())
    now = datetime.now(UTC)
    storytimes: list[tuple[Storytime, bool]] = []
    for day in _dates(weeks, today):
        for weekday, at, audience, title in WEEKLY:
            if day.weekday() != weekday:
                continue
            for branch in branches:
                if rng.random() < 0.06:  # holidays, staff illness
                    continue
                starts = datetime.combine(day, at, zone).astimezone(UTC)
                past = starts + timedelta(hours=1) < now
                st = Storytime(
                    branch_id=branch.id,
                    title=title,
                    starts_at=starts,
                    audience=audience,
                    theme=rng.choice(THEMES),
                    state="closed" if past else "scheduled",
                    code=(
                        "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
                        if past
                        else new_code()
                    ),
                    display_token=secrets.token_urlsafe(24),
                    opened_at=starts if past else None,
                    closed_at=starts + timedelta(minutes=45) if past else None,
                )
                if past:
                    size = {"babies": 1.0, "toddlers": 1.2, "families": 1.6}[audience]
                    st.headcount_adults = int(rng.randint(6, 18) * size)
                    st.headcount_children = int(rng.randint(2, 12) * size)
                    st.headcount_babies = (
                        rng.randint(3, 14) if audience == "babies" else rng.randint(0, 5)
                    )
                    if rng.random() < 0.6:
                        st.recap_published = True
                        st.recap_note = rng.choice(
                            (
                                "Thank you for singing with us! Next week: more rhymes.",
                                "Gracias por venir. ¡Hasta la próxima semana!",
                                "",
                            )
                        )
                storytimes.append((st, past))
    db.session.add_all(st for st, _ in storytimes)
    db.session.flush()
    prompts = [
        {"storytime_id": st.id, "kind": kind, "question": "", "position": i}
        for st, _ in storytimes
        for i, kind in enumerate(KINDS)
    ]
    db.session.execute(insert(Prompt), prompts)
    shares: list[dict] = []
    idea_shares: list[tuple[int, int]] = []
    kinds, weights = zip(*KIND_WEIGHTS.items(), strict=True)
    for st, past in storytimes:
        if not past:
            continue
        count = rng.randint(6, 30)
        for n in range(count):
            kind = rng.choices(kinds, weights)[0]
            text, name = _share_text(rng, kind)
            allow = rng.random() < SCREEN_CHANCE[kind]
            created = st.starts_at + timedelta(
                minutes=2 + n * 40 / count, seconds=rng.randint(0, 50)
            )
            row = {
                "storytime_id": st.id,
                "kind": kind,
                "text": text,
                "name": name if allow else None,
                "allow_screen": allow,
                "on_screen": allow and rng.random() < 0.8,
                "held": False,
                "pinned": False,
                "answered": kind == "question" and rng.random() < 0.6,
                "starred": kind in ("tip", "song", "question") and allow and rng.random() < 0.2,
                "phone": hashlib.sha256(rng.choice(families[st.branch_id]).encode()).hexdigest(),
                "client_id": _client_id(rng),
                "note": rng.choice(ANSWERS) if kind == "question" else "",
                "song_entry_id": None,
                "created_at": created,
                "updated_at": created,
            }
            if kind == "song":
                row["song_entry_id"] = file_title(text, matcher, public=allow, add_key=add_alias)
            shares.append(row)
    db.session.execute(insert(Share), shares)
    idea_shares = list(
        db.session.execute(
            db.select(Share.id, Storytime.branch_id)
            .join(Share.storytime)
            .where(
                Share.kind == "idea", Storytime.id.in_([st.id for st, past in storytimes if past])
            )
            .order_by(Share.id)
        )
    )
    follow_ups = [
        {
            "branch_id": branch_id,
            "share_id": share_id,
            "text": rng.choice(
                (
                    "You asked, we did: a Saturday storytime starts next month.",
                    "New Somali and Arabic picture books are on the shelf by the window.",
                    "Stroller parking is now inside the main door.",
                )
            ),
            "created_at": now - timedelta(days=rng.randint(1, 200)),
        }
        for share_id, branch_id in rng.sample(idea_shares, min(9, len(idea_shares)))
    ]
    if follow_ups:
        db.session.execute(insert(FollowUp), follow_ups)
    checkins = _checkins(random.Random(seed_value + 16), storytimes, families, zone)
    if checkins:
        db.session.execute(insert(CheckIn), checkins)
    marker = db.session.get(Setting, MARKER) or Setting(key=MARKER)
    marker.value = now.isoformat()
    db.session.merge(marker)
    db.session.commit()
    return {
        "storytimes": len(storytimes),
        "shares": len(shares),
        "follow_ups": len(follow_ups),
        "checkins": len(checkins),
    }


def _points(rng: random.Random, lean: float) -> int | None:
    """Return one answer on the scale, leaning to agree; now and then none (all optional)."""
    if rng.random() < 0.08:
        return None
    return rng.choices((1, 2, 3, 4, 5), (1, 2, 8, 36 + lean, 40 + lean))[0]


def _checkins(
    rng: random.Random,
    storytimes: list[tuple[Storytime, bool]],
    families: dict[int, list[str]],
    zone: ZoneInfo,
) -> list[dict]:
    """Return a year of check-ins: some families each time, and their follow-ups weeks later.

    Keeps the follow-up rule of outcomes/service.py: a family is asked one at a branch
    FOLLOW_UP_AFTER_DAYS or more after an immediate check-in there, once until it checks
    in again.
    """
    after = timedelta(days=current_app.config["FOLLOW_UP_AFTER_DAYS"])
    # The first immediate check-in at a branch since the family's last follow-up there.
    pending: dict[tuple[int, str], date] = {}
    rows = []
    for st, past in sorted(storytimes, key=lambda pair: pair[0].starts_at):
        if not past:
            continue
        day = st.starts_at.astimezone(zone).date()
        for family in rng.sample(families[st.branch_id], rng.randint(2, 11)):
            key = (st.branch_id, family)
            due = key in pending and day - pending[key] >= after
            statements = FOLLOW_UP_STATEMENTS if due else IMMEDIATE_STATEMENTS
            row = dict.fromkeys(IMMEDIATE_STATEMENTS + FOLLOW_UP_STATEMENTS)
            row.update({s: _points(rng, -10 if due else 0) for s in statements})
            row.update(
                storytime_id=st.id,
                phone=hashlib.sha256(family.encode()).hexdigest(),
                client_id=_client_id(rng),
                kind="follow_up" if due else "immediate",
                answered_on=day,
                liked=rng.choice(CHECKIN_LIKED) if rng.random() < 0.3 else "",
                wish=rng.choice(CHECKIN_WISHES) if rng.random() < 0.2 else "",
            )
            if due:
                del pending[key]
            else:
                pending.setdefault(key, day)
            rows.append(row)
    return rows


@click.command("seed-demo")
@with_appcontext
@click.option("--seed", "seed_value", default=2024, show_default=True, help="Random seed.")
@click.option("--weeks", default=52, show_default=True, type=click.IntRange(1, 520))
@click.option("--force", is_flag=True, help="Add another batch even if demo data is there.")
def seed_demo_command(seed_value: int, weeks: int, force: bool) -> None:
    """Fill the database with a realistic year of storytimes at three branches (for demos)."""
    done = db.session.get(Setting, MARKER)
    if done is not None and not force:
        raise click.ClickException(
            f"Demo data was already added on {done.value[:10]}; nothing changed. "
            "Run with --force to add another batch."
        )
    counts = seed(seed_value, weeks)
    click.echo(
        f"Added {counts['storytimes']} storytimes, {counts['shares']} shares and "
        f"{counts['follow_ups']} follow-ups at {len(BRANCHES)} branches, "
        f"with {counts['checkins']} check-ins."
    )
