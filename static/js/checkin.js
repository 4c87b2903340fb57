// Show the check-in card when the librarian asks, while the page is open (the page works without this).
const card = document.getElementById("checkin-card");
const POLL_MS = 10000;

const check = async () => {
  if (!card?.hidden) {
    return false;
  }
  if (document.visibilityState !== "visible") {
    return true;
  }
  try {
    const response = await fetch(card.dataset.api, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.status === 404 || response.status === 409) {
      return false; // gone, or check-ins are over: stop asking
    }
    if (response.ok) {
      const data = await response.json();
      if (data.done) {
        return false;
      }
      if (data.asked) {
        card.hidden = false;
        return false;
      }
    }
  } catch {
    // Offline for a moment: try again at the next tick.
  }
  return true;
};

const loop = async () => {
  if (await check()) {
    window.setTimeout(loop, POLL_MS);
  }
};

if (card) {
  window.setTimeout(loop, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && card.hidden) {
      check();
    }
  });
}
