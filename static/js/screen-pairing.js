// A TV being set up: it shows its code until a librarian types it into the dashboard,
// then goes to its permanent screen link by itself. Without JavaScript: "Check again".
const POLL_MS = 2000;
const MAX_WAIT_MS = 30000;

const root = document.getElementById("tv-pairing");
if (root) {
  startPairing(root);
}

function startPairing(root) {
  document.body.classList.add("has-js");
  const data = root.dataset;
  const status = document.getElementById("tv-status");
  let wait = POLL_MS;

  async function check() {
    let answer;
    try {
      const response = await fetch(data.statusUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      answer = response.ok ? await response.json() : { state: "expired" };
      wait = POLL_MS;
    } catch {
      // The server is away (a restart, the Wi-Fi): try again, less and less often.
      wait = Math.min(wait * 2, MAX_WAIT_MS);
      setTimeout(check, wait);
      return;
    }
    if (answer.state === "paired" && answer.url) {
      window.location.replace(answer.url);
      return;
    }
    if (answer.state === "expired") {
      // A fresh code: /tv starts a new pairing when the old one is gone.
      status.textContent = status.dataset.expired;
      window.location.replace(window.location.pathname);
      return;
    }
    setTimeout(check, wait);
  }

  setTimeout(check, POLL_MS);
}
