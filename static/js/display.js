// The projected display: runs unattended for hours, in bounded memory.
// live-feed.js keeps it connected and in step; this file only renders.
import { followLive, RECONNECTING, UNREACHABLE } from "./live-feed.js";

const SLOTS = 6;
const ROTATE_MS = 8000;
const WELCOME_NAMES = 6;
const IDLE_MS = 4000;
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
  const welcome = document.getElementById("welcome");
  const dot = document.getElementById("connection-dot");
  const dotText = document.getElementById("connection-text");
  const icons = {};
  for (const el of document.getElementById("kind-icons").content.children) {
    icons[el.dataset.kind] = el.textContent;
  }

  // Everything visible, newest first: ordinary shares, hellos, and the pinned one.
  let shares = [];
  let hellos = [];
  let pinned = null;
  let page = 0;
  let stopped = false;

  function without(items, id) {
    return items.filter((share) => share.id !== id);
  }
  function byNewest(a, b) {
    return b.id - a.id;
  }

  function forget(id) {
    shares = without(shares, id);
    hellos = without(hellos, id);
    if (pinned && pinned.id === id) pinned = null;
  }

  function place(share) {
    forget(share.id);
    if (share.pinned) {
      pinned = share;
    } else if (share.kind === "hello") {
      hellos.push(share);
      hellos.sort(byNewest);
      hellos.length = Math.min(hellos.length, maxShares);
    } else {
      shares.push(share);
      shares.sort(byNewest);
      shares.length = Math.min(shares.length, maxShares);
    }
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

  function truncate(text, n) {
    const trimmed = (text || "").trim();
    return trimmed.length <= n ? trimmed : `${trimmed.slice(0, n - 1)}…`;
  }

  function listParts(names) {
    try {
      const format = new Intl.ListFormat(data.lang || undefined, {
        style: "long",
        type: "conjunction",
      });
      return format.formatToParts(names);
    } catch {
      return names.flatMap((name, i) => [
        ...(i ? [{ type: "literal", value: ", " }] : []),
        { type: "element", value: name },
      ]);
    }
  }

  function renderWelcome() {
    const names = hellos
      .slice(0, WELCOME_NAMES)
      .reverse()
      .map((share) => truncate(share.name || share.text, 40))
      .filter(Boolean);
    if (!names.length) {
      welcome.textContent = data.welcomePlain;
      return;
    }
    // Each name in its own <bdi>: a direction override typed in one name must not
    // reorder the words, commas or other names around it.
    const around = data.welcome.split("{names}");
    const nodes = [document.createTextNode(around[0])];
    for (const part of listParts(names)) {
      if (part.type !== "element") {
        nodes.push(document.createTextNode(part.value));
        continue;
      }
      const bdi = document.createElement("bdi");
      bdi.textContent = part.value;
      nodes.push(bdi);
    }
    nodes.push(document.createTextNode(around.slice(1).join("{names}")));
    welcome.replaceChildren(...nodes);
  }

  function renderPinned() {
    pinnedBox.hidden = !pinned;
    pinnedBox.querySelector(".pinned-text").textContent = pinned ? pinned.text : "";
    pinnedBox.querySelector(".pinned-name").textContent = pinned?.name || "";
  }

  function card(share, fresh) {
    const li = document.createElement("li");
    li.className = `wall-card kind-${share.kind}${fresh ? " is-new" : ""}`;
    const icon = document.createElement("span");
    icon.className = "wall-kind";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = icons[share.kind] || "";
    const text = document.createElement("p");
    text.className = "wall-text";
    text.dir = "auto";
    text.textContent = share.text;
    li.appendChild(icon);
    li.appendChild(text);
    if (share.name) {
      const name = document.createElement("p");
      name.className = "wall-name";
      name.dir = "auto";
      name.textContent = share.name;
      li.appendChild(name);
    }
    return li;
  }

  function renderWall(freshId) {
    const pages = Math.max(1, Math.ceil(shares.length / SLOTS));
    page = page % pages;
    const visible = shares.slice(page * SLOTS, page * SLOTS + SLOTS);
    wall.replaceChildren(...visible.map((share) => card(share, share.id === freshId)));
  }

  function renderAll(freshId) {
    renderWelcome();
    renderPinned();
    renderWall(freshId);
  }

  // With more than one page of shares, show the next (older) page every few seconds.
  window.setInterval(() => {
    if (stopped || shares.length <= SLOTS || main.classList.contains("is-quiet")) return;
    page += 1;
    renderWall(null);
  }, ROTATE_MS);

  function revoke() {
    stopped = true;
    shares = [];
    hellos = [];
    pinned = null;
    renderAll(null);
    main.classList.add("is-revoked");
    document.getElementById("revoked-note").hidden = false;
  }

  function render(item) {
    if (stopped) return;
    if (item.type === "share.shown") {
      const isNew = ![...shares, ...hellos, ...(pinned ? [pinned] : [])].some(
        (share) => share.id === item.share.id,
      );
      place(item.share);
      if (isNew && !item.share.pinned && item.share.kind !== "hello") page = 0;
      renderAll(isNew ? item.share.id : null);
    } else if (item.type === "share.hidden") {
      forget(item.share.id);
      renderAll(null);
    } else if (item.storytime) {
      main.classList.toggle("is-quiet", !!item.storytime.quiet);
      main.classList.toggle("is-closed", item.storytime.state !== "open");
      const code = root.querySelector(".join-code");
      if (code && item.storytime.code) code.textContent = item.storytime.code;
    }
  }

  function showConnection(state) {
    const away = state === RECONNECTING || state === UNREACHABLE;
    dot.classList.toggle("is-reconnecting", away);
    dotText.textContent = away ? dotText.dataset.reconnecting : "";
  }

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
  wake();
  fullscreen.addEventListener("click", () => {
    const el = document.documentElement;
    if (document.fullscreenElement) document.exitFullscreen();
    else if (el.requestFullscreen) el.requestFullscreen().catch(() => {});
  });

  renderAll(null);
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
