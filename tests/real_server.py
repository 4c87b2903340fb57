"""The real `storytime` server in its own process, and phones that talk to it over HTTP.

Used by the crash-safety and concurrency tests. The server runs on a random port in
20000-40000 with a fresh instance folder (SQLite), rate limits off so bursts measure
the database rather than the limiter, and its output kept in a log file.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from factories import META_CSRF, close_app, make_storytime
from server_process import console_script, free_port, wait_until_healthy

from storytime import create_app


@dataclass
class Server:
    """One `storytime` process; `kill()` is SIGKILL, `start()` again keeps port and data."""

    instance: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.instance / "server.log"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORYTIME_")}
        env.update(
            STORYTIME_INSTANCE_PATH=str(self.instance),
            STORYTIME_SECRET_KEY="crash-test-secret",
            STORYTIME_BASE_URL=self.url,
            STORYTIME_RATELIMIT_ENABLED="false",
            STORYTIME_THREADS="64",
        )
        return env

    def seed(self) -> tuple[str, int]:
        """Create the schema as the server would, a branch and an open storytime."""
        app = create_app(
            {
                "INSTANCE_PATH": str(self.instance),
                "SECRET_KEY": "crash-test-secret",
                "BASE_URL": self.url,
                "AUTO_MIGRATE": True,
            }
        )
        try:
            storytime = make_storytime(app, "central")
            return storytime.code, storytime.id
        finally:
            close_app(app)

    def start(self, timeout: float = 60) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [console_script("storytime"), "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        try:
            wait_until_healthy(self.url, self.process, self.log, timeout)
        except RuntimeError:
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up, like a power cut of the process."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def database(self) -> Path:
        return self.instance / "storytime.sqlite"


class HttpPhone:
    """A caregiver's phone: its cookies, the join page's CSRF token, its acknowledged shares."""

    def __init__(self, server: Server, code: str) -> None:
        self.server, self.code = server, code
        self.client = httpx.Client(base_url=server.url, timeout=30)
        self.token = ""
        self.acknowledged: dict[str, str] = {}  # client_id -> text, for every 200/201
        self.unanswered: dict[str, str] = {}  # sent, but the connection broke
        self.statuses: list[int] = []

    def open_page(self) -> None:
        page = self.client.get(f"/j/{self.code}")
        page.raise_for_status()
        self.token = META_CSRF.search(page.text).group(1)

    def share(self, text: str, client_id: str | None = None) -> int | None:
        """Send one share; return its status, or None when the server did not answer."""
        client_id = client_id or secrets.token_urlsafe(12)
        try:
            response = self.client.post(
                f"/api/v1/storytimes/{self.code}/shares",
                json={"kind": "tip", "text": text, "on_screen": True, "client_id": client_id},
                headers={"X-CSRFToken": self.token},
            )
        except httpx.HTTPError:
            self.unanswered[client_id] = text
            return None
        self.statuses.append(response.status_code)
        if response.status_code in (200, 201):
            assert response.json()["client_id"] == client_id
            self.acknowledged[client_id] = text
            self.unanswered.pop(client_id, None)
        return response.status_code

    def mine(self) -> list[dict]:
        response = self.client.get(f"/api/v1/storytimes/{self.code}/shares/mine")
        response.raise_for_status()
        return response.json()["shares"]

    def close(self) -> None:
        self.client.close()
