// A TV's permanent link while no storytime is on: look every few seconds, and load the
// page again as soon as a storytime comes to the room (or the link was replaced).
const POLL_MS = 5000;
const MAX_WAIT_MS = 60000;

const root = document.getElementById("screen-idle");
if (root) {
  followRoom(root.dataset.nowUrl);
}

function followRoom(nowUrl) {
  let wait = POLL_MS;

  async function check() {
    try {
      const response = await fetch(nowUrl, { cache: "no-store", credentials: "omit" });
      if (response.status === 404) {
        window.location.reload(); // the link was replaced: the page says to pair again
        return;
      }
      if (response.ok) {
        const answer = await response.json();
        if (answer.storytime_id !== null) {
          window.location.reload();
          return;
        }
      }
      wait = POLL_MS;
    } catch {
      wait = Math.min(wait * 2, MAX_WAIT_MS);
    }
    setTimeout(check, wait);
  }

  setTimeout(check, POLL_MS);
}
