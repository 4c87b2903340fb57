// The page of a storytime that has not opened yet opens by itself when the storytime does.
// While the page is visible it asks /j/<code>/status every 15–20 s (a random point, so the
// phones in a room do not ask together), backs off while the server cannot answer, and
// reloads once the state is no longer the one the page was rendered with.
const waiting = document.getElementById("waiting");
if (waiting && window.fetch) {
  startWaiting(waiting);
}

function startWaiting(box) {
  const data = box.dataset;
  const EVERY_MIN = 15000;
  const EVERY_MAX = 20000;
  const LONGEST = 120000;
  let failures = 0;
  let timer = null;
  let asking = false;

  for (const line of box.querySelectorAll(".wait-auto")) line.hidden = false;

  function delay() {
    const every = EVERY_MIN + Math.random() * (EVERY_MAX - EVERY_MIN);
    return Math.min(every * 2 ** failures, LONGEST);
  }

  function schedule(wait) {
    clearTimeout(timer);
    timer = null;
    if (document.visibilityState === "hidden") return; // asked again when shown
    timer = setTimeout(check, wait ?? delay());
  }

  // Return the storytime's state, "gone" when its code no longer exists, or null.
  async function ask() {
    try {
      const response = await fetch(data.statusUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (response.status === 404) return "gone";
      if (!response.ok) return null;
      const body = await response.json();
      return typeof body.state === "string" ? body.state : null;
    } catch {
      return null; // offline, or the server is restarting
    }
  }

  async function check() {
    timer = null;
    if (asking) return;
    asking = true;
    const state = await ask();
    asking = false;
    if (state && state !== data.state) {
      // Open (the join page), closed or gone: the page at this address says which.
      window.location.reload();
      return;
    }
    failures = state ? 0 : Math.min(failures + 1, 3);
    schedule();
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") schedule(0);
    else schedule();
  });
  window.addEventListener("online", () => schedule(0));
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) schedule(0);
  });
  schedule();
}
