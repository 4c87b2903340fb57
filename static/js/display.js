// The projected display: runs unattended for hours, in bounded memory.
// live-feed.js keeps it connected and in step; this file renders and fits: every region
// keeps its size, and what does not fit is scaled down a step or shown on the next page.
import { fitOneLine, fitScale, STEPS } from "./display-fit.js";
import { createWall } from "./display-wall.js";
import { followLive, RECONNECTING, UNREACHABLE } from "./live-feed.js";

const ROTATE_MS = 9000;
const FOCUS_MS = 12000;
const WELCOME_NAMES = 3;
const NAME_CHARS = 24;
const IDLE_MS = 4000;
const SCREEN_POLL_MS = 30000;
const PINNED_STEPS = STEPS;
const EVENT_TYPES = ["share.shown", "share.hidden", "storytime.updated", "display.rotated"];

const root = document.getElementById("display");
if (root) {
  startDisplay(root);
}

function startDisplay(root) {
  document.body.classList.add("has-js");

  const data = root.dataset;
  const main = document.getElementById("main");
  const maxShares = Number.parseInt(data.maxShares, 10) || 50;
  const wall = document.getElementById("wall");
  const pinnedBox = document.getElementById("pinned");
  const pinnedText = pinnedBox.querySelector(".pinned-text");
  const pinnedName = pinnedBox.querySelector(".pinned-name");
  const pinnedPage = pinnedBox.querySelector(".pinned-page");
  const welcome = document.getElementById("welcome");
  const playlist = document.getElementById("playlist-songs");
  const dot = document.getElementById("connection-dot");
  const dotText = document.getElementById("connection-text");
  const kinds = {};
  for (const el of document.getElementById("kind-icons").content.children) {
    kinds[el.dataset.kind] = { icon: el.textContent, label: el.dataset.label };
  }

  // Everything on screen, newest first: the wall's shares (hellos too) and the pinned one.
  let shares = [];
  let pinned = null;
  let pinnedPages = [];
  let pinnedPageAt = 0;
  let songs = [];
  let songPages = [];
  let songPage = 0;
  let focusUntil = 0;
  const fresh = new Map(); // share id -> until when it is marked new
  let stopped = false;
  const pages = createWall(wall, kinds);
  const wallShown = () => root.dataset.state === "open" && root.dataset.quiet !== "true";

  function forget(id) {
    pages.forget(id);
    shares = shares.filter((share) => share.id !== id);
    if (pinned && pinned.id === id) pinned = null;
  }

  function place(share) {
    forget(share.id);
    if (share.pinned) {
      pinned = share;
      return;
    }
    shares.push(share);
    shares.sort((a, b) => b.id - a.id);
    shares.length = Math.min(shares.length, maxShares);
  }

  for (const el of document.getElementById("initial-shares").content.children) {
    place({
      id: Number(el.dataset.id),
      kind: el.dataset.kind,
      text: el.textContent,
      name: el.dataset.name || null,
      pinned: el.dataset.pinned === "true",
    });
  }

  /* ---- the welcome line: a few names, then a count, on one line ---- */
  function truncate(text, n) {
    const chars = [...(text || "").trim()];
    return chars.length <= n ? chars.join("") : `${chars.slice(0, n - 1).join("")}…`;
  }

  function listParts(items) {
    try {
      const format = new Intl.ListFormat(data.lang || undefined, {
        style: "long",
        type: "conjunction",
      });
      return format.formatToParts(items);
    } catch {
      return items.flatMap((item, i) => [
        ...(i ? [{ type: "literal", value: ", " }] : []),
        { type: "element", value: item },
      ]);
    }
  }

  function welcomeNodes(names, more) {
    const moreText = more
      ? (more === 1 ? data.moreOne : data.moreOther).replace("{count}", String(more))
      : null;
    const items = moreText ? [...names, moreText] : names;
    const around = data.welcome.split("{names}");
    const nodes = [document.createTextNode(around[0])];
    let index = 0;
    for (const part of listParts(items)) {
      if (part.type !== "element") {
        nodes.push(document.createTextNode(part.value));
        continue;
      }
      // Each name in its own <bdi>: a direction override typed in one name must not
      // reorder the words, commas or other names around it.
      const isName = index < names.length;
      index += 1;
      if (!isName) {
        nodes.push(document.createTextNode(part.value));
        continue;
      }
      const bdi = document.createElement("bdi");
      bdi.textContent = part.value;
      nodes.push(bdi);
    }
    nodes.push(document.createTextNode(around.slice(1).join("{names}")));
    return nodes;
  }

  function renderWelcome() {
    const hellos = shares.filter((share) => share.kind === "hello");
    const all = hellos
      .map((share) => truncate(share.name || share.text, NAME_CHARS))
      .filter(Boolean);
    if (!all.length) {
      welcome.textContent = data.welcomePlain;
      fitOneLine(welcome, []);
      return;
    }
    // The fewest names that still fit win over a smaller type: try 3, 2, 1 names.
    const tries = [];
    for (let n = Math.min(WELCOME_NAMES, all.length); n >= 1; n -= 1) {
      tries.push(() =>
        welcome.replaceChildren(...welcomeNodes(all.slice(0, n).reverse(), all.length - n)),
      );
    }
    fitOneLine(welcome, tries);
  }

  /* ---- the pinned share: whole, its type scaled down; a very long one pages ---- */
  let pinnedKey = "";
  function renderPinned() {
    pinnedBox.hidden = !pinned || root.dataset.state !== "open" || root.dataset.quiet === "true";
    const key =
      pinned && !pinnedBox.hidden
        ? `${pinned.id}|${pinned.text}|${pinned.name}|${window.innerWidth}x${window.innerHeight}`
        : "";
    if (key === pinnedKey) return;
    pinnedKey = key;
    pinnedPages = [];
    pinnedPage.textContent = "";
    pinnedName.textContent = pinned?.name || "";
    pinnedText.textContent = pinned?.text || "";
    if (!key) return;
    const fits = () => pinnedBox.scrollHeight <= pinnedBox.clientHeight + 1;
    if (fitScale(pinnedText, fits, PINNED_STEPS)) return;
    // Even the smallest type does not hold it all: show it a part at a time.
    const words = pinned.text.split(/(\s+)/);
    pinnedPage.textContent = "0/0";
    let start = 0;
    while (start < words.length) {
      let end = start + 1;
      while (end < words.length) {
        pinnedText.textContent = words.slice(start, end + 1).join("");
        if (!fits()) break;
        end += 1;
      }
      pinnedPages.push(words.slice(start, end).join("").trim());
      start = end;
    }
    pinnedPageAt = 0;
    showPinnedPage();
  }

  function showPinnedPage() {
    if (!pinnedPages.length) return;
    pinnedPageAt %= pinnedPages.length;
    pinnedText.textContent = pinnedPages[pinnedPageAt];
    pinnedPage.textContent = `${pinnedPageAt + 1}/${pinnedPages.length}`;
  }

  /* ---- the playlist ---- */
  function renderPlaylist(list) {
    root.dataset.playlist = list ? "true" : "false";
    songs = list || [];
    if (!list) {
      playlist.replaceChildren();
      return;
    }
    const items = songs.map((song) => {
      const li = document.createElement("li");
      li.className = `playlist-song${song.sung ? " is-sung" : ""}`;
      li.dir = "auto";
      li.textContent = song.title;
      return li;
    });
    const region = playlist.parentElement;
    const fits = () => region.scrollHeight <= region.clientHeight + 1;
    playlist.replaceChildren(...items);
    if (!region.clientHeight || fitScale(playlist, fits, [1, 0.85, 0.72])) {
      songPages = [items];
    } else {
      // Too many songs for the region: pages of as many as fit.
      songPages = [];
      let page = [];
      playlist.replaceChildren();
      for (const li of items) {
        playlist.append(li);
        if (page.length && !fits()) {
          songPages.push(page);
          page = [li];
          playlist.replaceChildren(li);
        } else {
          page.push(li);
        }
      }
      songPages.push(page);
    }
    songPage %= songPages.length;
    playlist.replaceChildren(...songPages[songPage]);
  }

  // Long titles and lines take a smaller type rather than leave their region.
  function fitLines() {
    fitOneLine(document.getElementById("checkin"), []);
    fitOneLine(document.querySelector(".join-code-line"), []);
    for (const [id, titleSelector] of [
      ["before", ".before-title"],
      ["goodbye", ".goodbye-title"],
    ]) {
      const region = document.getElementById(id);
      if (!region.clientHeight) continue;
      const title = region.querySelector(titleSelector);
      fitScale(
        title,
        () =>
          region.scrollHeight <= region.clientHeight + 1 &&
          region.scrollWidth <= region.clientWidth + 1,
      );
    }
  }

  function renderAll() {
    renderWelcome();
    renderPinned();
    if (root.dataset.playlist === "true") renderPlaylist(songs);
    pages.fill(shares, fresh, wallShown());
    fitLines();
  }

  // Shares may arrive many at a time: lay the screen out once for each burst.
  let pending = null;
  function scheduleRender() {
    if (pending !== null) return;
    pending = window.setTimeout(() => {
      pending = null;
      renderAll();
    }, 40);
  }

  // Pages turn every few seconds, except while a newcomer has its moment of focus.
  window.setInterval(() => {
    if (stopped || Date.now() < focusUntil) return;
    const now = Date.now();
    for (const [id, until] of fresh) if (until <= now) fresh.delete(id);
    if (pages.hasPages(shares)) {
      pages.next(shares, fresh, wallShown());
    } else {
      for (const el of wall.querySelectorAll(".is-new")) {
        if (!fresh.has(Number(el.dataset.id))) el.classList.remove("is-new");
      }
    }
    if (pinnedPages.length > 1) {
      pinnedPageAt += 1;
      showPinnedPage();
    }
    if (songPages.length > 1) {
      songPage = (songPage + 1) % songPages.length;
      playlist.replaceChildren(...songPages[songPage]);
    }
  }, ROTATE_MS);

  let resizing = null;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(renderAll, 150);
  });

  function revoke() {
    if (data.screenNowUrl) {
      // A permanent screen: its page follows the new link by itself.
      window.setTimeout(() => window.location.reload(), 2000);
      return;
    }
    stopped = true;
    shares = [];
    pinned = null;
    renderAll();
    main.classList.add("is-revoked");
    document.getElementById("revoked-note").hidden = false;
  }

  function showStorytime(storytime) {
    if (storytime.code && storytime.code !== data.code) {
      // A new join code needs a new QR, drawn by the server.
      window.location.reload();
      return;
    }
    if (root.dataset.state === "closed" && storytime.state === "open") {
      // Opened again after the goodbye: the shares it forgot come back with the page.
      window.location.reload();
      return;
    }
    const before = `${root.dataset.state}/${root.dataset.quiet}`;
    root.dataset.state = storytime.state;
    root.dataset.quiet = storytime.quiet ? "true" : "false";
    root.dataset.checkins = storytime.checkins_asked ? "true" : "false";
    const call = document.getElementById("join-call");
    call.textContent = storytime.state === "scheduled" ? call.dataset.before : call.dataset.open;
    main.classList.toggle("is-quiet", !!storytime.quiet);
    main.classList.toggle("is-closed", storytime.state !== "open");
    const changed = before !== `${root.dataset.state}/${root.dataset.quiet}`;
    if (storytime.title) {
      for (const el of root.querySelectorAll("#display-title, .before-title, .goodbye-storytime")) {
        el.textContent = storytime.title;
      }
    }
    if (storytime.state === "closed") {
      // The goodbye is final: the shares are gone from the screen and from memory.
      shares = [];
      pinned = null;
    }
    if ("playlist" in storytime) renderPlaylist(storytime.playlist);
    renderAll();
    if (changed) checkScreen();
  }

  function render(item) {
    if (stopped) return;
    if (item.type === "share.shown") {
      const known =
        shares.some((share) => share.id === item.share.id) || pinned?.id === item.share.id;
      place(item.share);
      if (!known && !item.share.pinned) {
        fresh.set(item.share.id, Date.now() + FOCUS_MS);
        focusUntil = Date.now() + FOCUS_MS;
        pages.newRound();
      }
    } else if (item.type === "share.hidden") {
      forget(item.share.id);
    }
    if (item.storytime) {
      showStorytime(item.storytime);
      return;
    }
    if (root.dataset.state === "closed") return;
    scheduleRender();
  }

  function showConnection(state) {
    const away = state === RECONNECTING || state === UNREACHABLE;
    dot.classList.toggle("is-reconnecting", away);
    dotText.textContent = away ? dotText.dataset.reconnecting : "";
  }

  /* ---- a permanent screen follows whichever storytime its room has now ---- */
  async function checkScreen() {
    if (!data.screenNowUrl || stopped) return;
    try {
      const response = await fetch(data.screenNowUrl, {
        credentials: "omit",
        headers: { Accept: "application/json" },
      });
      // 404: the screen link was replaced; the reload shows "pair this TV again".
      if (response.status === 404) window.location.reload();
      if (!response.ok) return;
      const body = await response.json();
      if (body.storytime_id !== Number(data.storytimeId)) window.location.reload();
    } catch {
      // Offline for a moment: the next check tries again.
    }
  }
  if (data.screenNowUrl) window.setInterval(checkScreen, SCREEN_POLL_MS);

  /* ---- a full-screen button that gets out of the way ---- */
  const fullscreen = document.getElementById("fullscreen");
  let idle = null;
  function wake() {
    document.body.classList.remove("is-idle");
    window.clearTimeout(idle);
    idle = window.setTimeout(() => document.body.classList.add("is-idle"), IDLE_MS);
  }
  document.addEventListener("mousemove", wake);
  document.addEventListener("keydown", wake);
  // Hidden until someone moves the mouse or presses a key: it never covers the room's view.
  document.body.classList.add("is-idle");
  fullscreen.addEventListener("click", () => {
    const el = document.documentElement;
    if (document.fullscreenElement) document.exitFullscreen();
    else if (el.requestFullscreen) el.requestFullscreen().catch(() => {});
  });

  if (root.dataset.playlist === "true") {
    songs = [...playlist.children].map((li) => ({
      title: li.textContent,
      sung: li.classList.contains("is-sung"),
    }));
  }
  renderAll();
  // Web fonts or emoji may settle the layout a moment later.
  document.fonts?.ready.then(renderAll);
  followLive({
    streamUrl: data.streamUrl,
    eventsUrl: data.eventsUrl,
    lastEventId: Number.parseInt(data.lastEventId, 10) || 0,
    eventTypes: EVENT_TYPES,
    // The token in the link is the key: polls carry no cookie.
    credentials: "omit",
    endEvents: ["revoked", "gone"],
    endStatuses: [403, 404],
    maxRetryMs: 60000,
    onItem: render,
    onState: showConnection,
    onEnd: revoke,
  });
}
