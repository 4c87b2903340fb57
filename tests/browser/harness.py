"""The live server and browser settings shared by the browser tests and scripts/screenshots.py.

Nothing is downloaded: Chromium is launched by path (`/usr/bin/chromium`, or the path in
`STORYTIME_CHROMIUM`). The server is the one-command `storytime` in its own process, on a
random port, with a fresh instance folder; `LiveServer.restart()` keeps port and folder.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from factories import PASSWORD
from server_process import console_script, free_port, stop, wait_until_healthy
from services import missing

CHROMIUM = os.environ.get("STORYTIME_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Lets the heap test read a precise performance.memory.
    "--enable-precise-memory-info",
]
LIBRARIAN = "ana@central.example.org"
COORDINATOR = "cora@library.example.org"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
TV = {"viewport": {"width": 1920, "height": 1080}}
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "browser"


def chromium_missing() -> str | None:
    """Return why the browser tests cannot run here, or None when they can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return missing(
            f"no Chromium at {CHROMIUM} (apt-get install chromium, or set STORYTIME_CHROMIUM "
            "to its path); browser tests never download a browser"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return missing("Playwright for Python is not installed (pip install -e '.[test]')")
    return None


@dataclass
class LiveServer:
    """The real app, served by `storytime` in a separate process."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def instance(self) -> Path:
        return self.root / "instance"

    @property
    def database(self) -> Path:
        return self.instance / "storytime.sqlite"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def env(self) -> dict[str, str]:
        """Return the environment of the server and of the CLI: the same instance, nothing else."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYTIME_")}
        env.update(
            STORYTIME_INSTANCE_PATH=str(self.instance),
            STORYTIME_BASE_URL=self.url,
            # Every test shares from 127.0.0.1 in quick succession; limits are tested over HTTP.
            STORYTIME_RATELIMIT_ENABLED="false",
            STORYTIME_LIBRARY_NAME="Maple Grove Library",
            STORYTIME_TIMEZONE="America/Toronto",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self, timeout: float = 30) -> None:
        """Start the server and wait until /healthz answers."""
        self.instance.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [console_script("storytime"), "--port", str(self.port), "--threads", "64"],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
            )
        wait_until_healthy(self.url, self.process, self.log, timeout)

    def stop(self) -> None:
        """Stop the server the way an operator would (SIGTERM), killing it if it hangs."""
        if self.process is not None:
            stop(self.process)
            self.process = None

    def restart(self) -> None:
        """Stop and start on the same port and instance folder."""
        self.stop()
        self.start()

    def flask(self, *args: str) -> str:
        """Run `flask --app storytime ARGS` against this server's instance; return its output."""
        result = subprocess.run(
            [console_script("flask"), "--app", "storytime", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def python(self, code: str) -> str:
        """Run Python inside an app context of this server's instance (bulk set-up)."""
        program = (
            "from storytime import create_app\n"
            "app = create_app()\n"
            "with app.app_context():\n" + "".join(f"    {line}\n" for line in code.splitlines())
        )
        result = subprocess.run(
            [sys.executable, "-c", program],
            env=self.env(),
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """Call /api/v1 with the librarian's bearer token; return (status, JSON)."""
        request = urllib.request.Request(
            self.url + "/api/v1" + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def query(self, sql: str, *params: object) -> list[tuple]:
        """Read the server's SQLite database directly (the source of truth)."""
        with sqlite3.connect(self.database, timeout=10) as connection:
            return connection.execute(sql, params).fetchall()

    def share_count(self, storytime_id: int) -> int:
        """Return how many shares the database holds for a storytime."""
        return self.query("SELECT COUNT(*) FROM share WHERE storytime_id = ?", storytime_id)[0][0]


def seed_staff(server: LiveServer) -> None:
    """Create the Central branch, the librarian and her API token with the real CLI."""
    server.flask("create-branch", "Central Library", "--slug", "central")
    server.flask(
        "create-user",
        LIBRARIAN,
        "--role",
        "librarian",
        "--branch",
        "central",
        "--name",
        "Ana",
        "--password",
        PASSWORD,
    )
    server.flask(
        "create-user",
        COORDINATOR,
        "--role",
        "coordinator",
        "--name",
        "Cora",
        "--password",
        PASSWORD,
    )
    server.token = server.flask("create-token", LIBRARIAN, "--name", "browser tests").strip()


def launch(playwright):
    """Launch Debian's Chromium by path; Playwright gives it a fresh temporary profile."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def login(page, email: str = LIBRARIAN, password: str = PASSWORD) -> None:
    """Sign in through the login page."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


DEFAULT_KINDS = ["hello", "tip", "song", "question", "idea"]


def create_storytime(
    server: LiveServer,
    title: str = "Baby Rhyme Time",
    *,
    moderation: str = "instant",
    kinds: list[str] | None = None,
    theme: str = "Transportation",
    open_now: bool = True,
) -> dict:
    """Create a storytime through the staff API and open it; return its JSON."""
    status, storytime = server.api(
        "POST",
        "/storytimes",
        {
            "branch": "central",
            "title": title,
            "starts_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "audience": "babies",
            "theme": theme,
            "kinds": kinds or DEFAULT_KINDS,
            "moderation": moderation,
        },
    )
    assert status == 201, storytime
    if open_now:
        status, storytime = server.api("PATCH", f"/storytimes/{storytime['id']}", {"state": "open"})
        assert status == 200, storytime
        assert storytime["state"] == "open"
    return storytime


KIND_LABELS = {
    "hello": "Hello",
    "tip": "Tip",
    "song": "Song",
    "question": "Question",
    "idea": "Idea",
}


def send_share(
    page,
    kind: str,
    text: str,
    *,
    name: str | None = None,
    screen: bool | None = None,
    touch: bool = True,
) -> None:
    """Share from the join page as a caregiver would: tap a kind, type, choose, send."""

    def press(locator) -> None:
        locator.tap() if touch else locator.click()

    press(page.locator(f'label[for="kind-{kind}"]'))
    page.get_by_label("Your message").fill(text)
    if name is not None:
        page.get_by_label("Your first name (optional)").fill(name)
    if screen is not None:
        choice = "Show on the big screen" if screen else "Just for the librarian"
        press(page.locator("label.choice", has_text=choice))
    press(page.get_by_role("button", name="Send"))


POST_SHARES_JS = """
async ([code, items, parallel]) => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const statuses = [];
    let next = 0;
    async function worker() {
        while (next < items.length) {
            const item = items[next++];
            const response = await fetch(`/api/v1/storytimes/${code}/shares`, {
                method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
                body: JSON.stringify(item),
            });
            statuses.push(response.status);
        }
    }
    await Promise.all(Array.from({length: parallel}, worker));
    return statuses;
}
"""


def post_shares(page, code: str, items: list[dict], parallel: int = 1) -> list[int]:
    """Send shares through the JSON endpoint from a phone page (as share.js does); return statuses."""
    return page.evaluate(POST_SHARES_JS, [code, items, parallel])


def share_item(text: str, client_id: str, kind: str = "tip", on_screen: bool = True) -> dict:
    """Return a JSON share body as the join page's script sends it."""
    return {"kind": kind, "text": text, "on_screen": on_screen, "client_id": client_id}
