// The librarian's live dashboard: render shares as they change and act on them.
// live-feed.js keeps the page in step; this file only renders and sends actions.
// Arrivals never move what is under the finger: while the list is scrolled, touched or
// under the pointer, new shares wait behind the "N new" bar.
import { followPlaylist } from "./dashboard-playlist.js";
import { followLive, LIVE, RECONNECTING } from "./live-feed.js";

const FLAGS = ["allow_screen", "on_screen", "held", "pinned", "answered", "starred"];
const EVENT_TYPES = [
  "share.created",
  "share.updated",
  "share.deleted",
  "storytime.updated",
  "display.rotated",
];
// Each toggle on a share card (its button is `.act-<name>`): the flag it flips, and the
// actions that turn it on and off.
const TOGGLES = {
  screen: { flag: "on_screen", on: "show", off: "hide" },
  pin: { flag: "pinned", on: "pin", off: "unpin" },
  answer: { flag: "answered", on: "answer", off: "unanswer" },
  star: { flag: "starred", on: "star", off: "unstar" },
};
// The JSON change each action sends: {show: {on_screen: true}, hide: {on_screen: false}, …}.
const CHANGES = Object.fromEntries(
  Object.values(TOGGLES).flatMap(({ flag, on, off }) => [
    [on, { [flag]: true }],
    [off, { [flag]: false }],
  ]),
);
// Keyboard shortcuts, by the command they run (the action bar's buttons name theirs).
const KEYS = new Map([
  ["j", "next"],
  ["k", "prev"],
  ["s", "screen"],
  ["p", "pin"],
  ["a", "answer"],
  ["*", "star"],
  ["Delete", "delete"],
  ["n", "new"],
  ["?", "help"],
]);
// The state filters (`?state=`): which cards each one keeps, by their data attributes.
const STATE_FILTERS = {
  held: (card) => card.dataset.held === "true",
  on_screen: (card) => card.dataset.onScreen === "true",
  unanswered: (card) => card.dataset.kind === "question" && card.dataset.answered !== "true",
};
// How long after a finger leaves the list before waiting shares may come in.
const TOUCH_SETTLE_MS = 800;

const root = document.getElementById("dashboard");
if (root) {
  startDashboard(root);
}

function startDashboard(root) {
  document.body.classList.add("has-js");

  const data = root.dataset;
  const list = document.getElementById("share-list");
  const newBar = document.getElementById("new-bar");
  const filters = document.getElementById("filters");
  const showHeldForm = document.getElementById("show-held-form");
  const template = document.getElementById("share-template");
  const announcer = document.getElementById("announcer");
  const message = document.getElementById("dash-message");
  const confirmDialog = document.getElementById("confirm-dialog");
  const help = document.getElementById("shortcuts");
  const statusText = root.querySelector(".live-status-text");
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const kindInfo = {};
  for (const el of document.getElementById("kind-labels").content.querySelectorAll("[data-kind]")) {
    kindInfo[el.dataset.kind] = { label: el.textContent, icon: el.dataset.icon };
  }
  let selected = null;
  // Shares that arrived while the list was held still, by id, in their latest state.
  const waiting = new Map();
  let hovering = false;
  let touching = false;
  let touchTimer = null;
  const filter = { kind: "", state: "" };

  function attr(name) {
    return `data-${name.replace(/_/g, "-")}`;
  }
  function cards() {
    return Array.from(list.querySelectorAll(".share-card"));
  }
  function cardFor(id) {
    return document.getElementById(`share-${id}`);
  }
  function kindLabel(kind) {
    return kindInfo[kind]?.label || kind;
  }
  function setConnection(kind) {
    root.dataset.connection = kind;
    statusText.textContent = statusText.dataset[kind] || "";
  }
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  }
  function showError(text) {
    const line = document.createElement("p");
    line.className = "flash flash-error";
    line.textContent = text || data.msgFailed;
    message.replaceChildren(line);
  }
  function clearError() {
    message.replaceChildren();
  }

  /* ---- rendering: every change arrives as a share in its current state ---- */
  function syncButtons(card) {
    const on = (flag) => card.getAttribute(attr(flag)) === "true";
    const set = (selector, state, onValue, offValue) => {
      const button = card.querySelector(selector);
      if (!button) return;
      button.value = state ? onValue : offValue;
      button.textContent = state ? button.dataset.labelOn : button.dataset.labelOff;
      button.setAttribute("aria-pressed", state ? "true" : "false");
    };
    for (const [name, toggle] of Object.entries(TOGGLES)) {
      set(`.act-${name}`, on(toggle.flag), toggle.off, toggle.on);
    }
    const staffOnly = !on("allow_screen");
    card.querySelector(".act-screen").disabled = staffOnly;
    card.querySelector(".act-pin").disabled = staffOnly;
    card.querySelector(".act-answer").hidden = card.dataset.kind !== "question";
    card.classList.toggle("is-pinned", on("pinned"));
  }

  function fill(card, share) {
    card.id = `share-${share.id}`;
    card.dataset.shareId = share.id;
    card.dataset.kind = share.kind;
    card.className = `${card.className.replace(/\bkind-\S+/g, "").trim()} kind-${share.kind}`;
    for (const flag of FLAGS) card.setAttribute(attr(flag), share[flag] ? "true" : "false");
    const info = kindInfo[share.kind] || { label: share.kind, icon: "" };
    card.querySelector(".kind-icon").textContent = info.icon;
    card.querySelector(".kind-name").textContent = info.label;
    card.querySelector(".share-name").textContent = share.name || "";
    card.querySelector(".share-text").textContent = share.text;
    const time = card.querySelector(".share-time");
    if (!time.getAttribute("datetime")) {
      time.setAttribute("datetime", share.created_at);
      // The server formats every time (storytime/i18n.py): the reader's language, the
      // library's zone, the same text a reload shows.
      time.textContent = share.time_text || "";
    }
    const form = card.querySelector(".share-actions");
    form.action = form.getAttribute("action").replace(/\/0(?=$|\?)/, `/${share.id}`);
    syncButtons(card);
    card.hidden = !matches(card);
  }

  /* ---- filters: the same rule as the server's (live/routes.py matches_filters) ---- */
  function matches(card) {
    if (filter.kind && card.dataset.kind !== filter.kind) return false;
    const keep = STATE_FILTERS[filter.state];
    return keep ? keep(card) : true;
  }
  function applyFilters() {
    for (const card of cards()) card.hidden = !matches(card);
    const url = new URL(window.location.href);
    for (const name of ["kind", "state"]) {
      if (filter[name]) url.searchParams.set(name, filter[name]);
      else url.searchParams.delete(name);
    }
    window.history.replaceState(null, "", url);
    syncEmpty();
  }
  if (filters) {
    for (const chip of filters.querySelectorAll('.chip[aria-pressed="true"]')) {
      filter[chip.name] = chip.value;
    }
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const chip = event.submitter;
      if (!chip?.classList.contains("chip") || !(chip.name in filter)) return;
      filter[chip.name] = chip.value;
      for (const other of filters.querySelectorAll(`.chip[name="${chip.name}"]`)) {
        other.setAttribute("aria-pressed", other === chip ? "true" : "false");
      }
      applyFilters();
    });
  }

  /* ---- arrivals: straight in at the top, or waiting behind the "N new" bar ---- */
  function holding() {
    return hovering || touching || list.scrollTop > 1;
  }
  function insertCard(share, isNew) {
    const card = template.content.firstElementChild.cloneNode(true);
    fill(card, share);
    const before = cards().find((other) => Number(other.dataset.shareId) < share.id);
    list.insertBefore(card, before || null);
    if (isNew && !card.hidden) card.classList.add("is-new");
    return card;
  }
  function syncNewBar() {
    newBar.hidden = waiting.size === 0;
    newBar.textContent = data.msgWaiting.replace("{n}", waiting.size);
  }
  function release() {
    if (!waiting.size) return;
    const shares = Array.from(waiting.values()).sort((a, b) => a.id - b.id);
    waiting.clear();
    for (const share of shares) if (!cardFor(share.id)) insertCard(share, true);
    syncNewBar();
    syncEmpty();
  }
  function releaseIfFree() {
    if (!holding()) release();
  }
  function showNew() {
    list.scrollTo({ top: 0 });
    release();
  }

  function upsert(share, isNew) {
    const card = cardFor(share.id);
    if (card) {
      fill(card, share);
    } else if (waiting.has(share.id)) {
      waiting.set(share.id, share);
    } else {
      const probe = template.content.firstElementChild.cloneNode(true);
      fill(probe, share);
      // A share the filters hide takes no room: it goes in at once, moving nothing.
      if (probe.hidden || !holding()) {
        insertCard(share, isNew);
      } else {
        waiting.set(share.id, share);
        syncNewBar();
      }
      if (isNew) announce(data.msgNew.replace("{kind}", kindLabel(share.kind)));
    }
    syncEmpty();
  }

  function removeShare(id) {
    const card = cardFor(id);
    if (card) {
      const wasSelected = card === selected;
      const next = card.nextElementSibling || card.previousElementSibling;
      card.remove();
      if (wasSelected) select(next, false);
    }
    if (waiting.delete(id)) syncNewBar();
    syncEmpty();
  }

  function syncEmpty() {
    const all = cards();
    root.querySelector(".empty-shares").hidden = all.length > 0 || waiting.size > 0;
    root.querySelector(".empty-filter").hidden = !all.length || all.some((card) => !card.hidden);
    syncHeld(all);
  }
  function syncHeld(all) {
    const button = root.querySelector(".act-show-held");
    if (!button) return;
    const held = all.filter((c) => c.dataset.held === "true" && c.dataset.allowScreen === "true");
    const count =
      held.length + [...waiting.values()].filter((s) => s.held && s.allow_screen).length;
    button.querySelector("[data-held-count]").textContent = count;
    button.disabled = count === 0;
  }

  function updateCounts(counts) {
    if (!counts) return;
    for (const [kind, count] of Object.entries(counts.by_kind || {})) {
      const el = root.querySelector(`[data-count="${kind}"]`);
      if (el) el.textContent = count;
    }
    const phones = root.querySelector('[data-count="phones"]');
    if (phones) phones.textContent = counts.phones;
  }

  function updateStorytime(storytime) {
    const label = root.querySelector(".state-label");
    label.textContent = label.dataset[storytime.state] || storytime.state;
    const open = storytime.state === "open";
    // Closing has its own page that asks first: a link while open; once closed, the
    // wrap-up leads and "Open again" is a plain button.
    const closed = storytime.state === "closed";
    root.querySelector(".act-close").hidden = !open;
    root.querySelector(".act-wrap-up").hidden = !closed;
    const openButton = root.querySelector(".act-open");
    openButton.hidden = open;
    openButton.classList.toggle("primary", storytime.state === "scheduled");
    openButton.textContent = closed ? openButton.dataset.labelAgain : openButton.dataset.labelOpen;
    const quiet = root.querySelector(".act-quiet");
    quiet.value = storytime.quiet ? "unquiet" : "quiet";
    quiet.textContent = storytime.quiet ? quiet.dataset.labelOn : quiet.dataset.labelOff;
    quiet.setAttribute("aria-pressed", storytime.quiet ? "true" : "false");
    if (storytime.display_url) {
      document.getElementById("display-link").value = storytime.display_url;
      document.getElementById("open-display").href = storytime.display_url;
    }
    updateCounts(storytime.counts);
  }

  function render(item) {
    if (item.share) {
      if (item.type === "share.deleted") removeShare(item.share.id);
      else upsert(item.share, item.type === "share.created");
      if (item.type === "share.deleted" || item.share.kind === "song") playlist.refresh();
      updateCounts(item.counts);
    } else if (item.storytime) {
      updateStorytime(item.storytime);
      playlist.refresh(); // sung marks and the TV switch come as storytime changes
    }
  }

  /* ---- actions: the JSON API; the feed then brings every dashboard in step ---- */
  async function send(method, url, body) {
    const headers = { "X-CSRFToken": csrf, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    clearError();
    let response;
    let json = {};
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status === 204) return {};
      json = await response.json();
    } catch {
      throw new Error(data.msgFailed); // offline, or an HTML error page from a proxy
    }
    if (!response.ok) throw new Error(json.message || data.msgFailed);
    return json;
  }

  // A page dialog before an action that cannot be undone; resolves to true to go ahead.
  function askFirst(question, yesLabel) {
    if (typeof confirmDialog?.showModal !== "function") {
      // biome-ignore lint/suspicious/noAlert: the browser's own dialog where <dialog> is missing
      return Promise.resolve(window.confirm(question));
    }
    confirmDialog.querySelector(".confirm-question").textContent = question;
    confirmDialog.querySelector(".confirm-yes").textContent = yesLabel;
    confirmDialog.returnValue = "";
    confirmDialog.showModal();
    return new Promise((resolve) => {
      confirmDialog.addEventListener("close", () => resolve(confirmDialog.returnValue === "yes"), {
        once: true,
      });
    });
  }

  async function shareAction(card, action) {
    const id = Number(card.dataset.shareId);
    const url = data.shareApi.replace(/\/0$/, `/${id}`);
    card.setAttribute("aria-busy", "true");
    try {
      if (action === "delete") {
        await send("DELETE", url);
        removeShare(id);
      } else {
        const body = await send("PATCH", url, CHANGES[action]);
        upsert(body.share, false);
      }
    } catch (error) {
      showError(error.message);
    } finally {
      card.removeAttribute("aria-busy");
    }
  }

  list.addEventListener("submit", (event) => {
    const form = event.target.closest(".share-actions");
    if (!form || !event.submitter) return;
    event.preventDefault();
    const card = form.closest(".share-card");
    select(card, false);
    shareAction(card, event.submitter.value);
  });

  root.querySelector(".control-form").addEventListener("submit", async (event) => {
    if (!event.submitter) return;
    event.preventDefault();
    const action = event.submitter.value;
    const change =
      action === "open" || action === "close"
        ? { state: action === "open" ? "open" : "closed" }
        : { quiet: action === "quiet" };
    try {
      updateStorytime(await send("PATCH", data.storytimeApi, change));
    } catch (error) {
      showError(error.message);
    }
  });

  showHeldForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await askFirst(data.confirmShowHeld, data.confirmShowHeldYes))) return;
    clearError();
    try {
      // The no-script form's own address; the feed then brings each share's change.
      const response = await fetch(showHeldForm.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        body: new FormData(showHeldForm),
      });
      if (!response.ok) throw new Error(data.msgFailed);
    } catch {
      showError(data.msgFailed);
    }
  });

  root.querySelector(".rotate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await askFirst(data.confirmRotate, data.confirmRotateYes))) return;
    try {
      const body = await send("POST", data.rotateApi, {});
      updateStorytime(body.storytime);
      event.target.closest("details").open = false;
    } catch (error) {
      showError(error.message);
    }
  });

  document.getElementById("copy-link").addEventListener("click", () => {
    const input = document.getElementById("display-link");
    const done = () => announce(data.msgCopied);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, () => input.select());
    } else {
      input.select();
      try {
        if (document.execCommand("copy")) done();
      } catch {
        // the text stays selected for the librarian to copy
      }
    }
  });

  /* ---- selection, keyboard shortcuts and the one-handed action bar ---- */
  function select(card, scroll) {
    if (selected) selected.classList.remove("is-selected");
    selected = card || null;
    if (!selected) return;
    selected.classList.add("is-selected");
    selected.setAttribute("tabindex", "0");
    selected.focus({ preventScroll: !scroll });
    if (scroll) selected.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    const all = cards().filter((card) => !card.hidden);
    if (!all.length) return;
    const index = selected ? all.indexOf(selected) : -1;
    select(all[Math.max(0, Math.min(all.length - 1, index + step))], true);
  }
  function toggle(card, name) {
    const button = card?.querySelector(`.act-${name}`);
    if (!button || button.disabled || button.hidden) return;
    const { flag, on, off } = TOGGLES[name];
    shareAction(card, card.getAttribute(attr(flag)) === "true" ? off : on);
  }
  async function confirmDelete(card) {
    if (card && (await askFirst(data.confirmDelete, data.confirmDeleteYes))) {
      shareAction(card, "delete");
    }
  }

  list.addEventListener("click", (event) => {
    const card = event.target.closest(".share-card");
    if (card && card !== selected && !event.target.closest("button, summary, a")) {
      select(card, false);
    }
  });
  list.addEventListener("focusin", (event) => {
    const card = event.target.closest(".share-card");
    if (card && card !== selected) {
      if (selected) selected.classList.remove("is-selected");
      selected = card;
      card.classList.add("is-selected");
    }
  });

  function showHelp() {
    if (help.showModal && !help.open) help.showModal();
  }
  document.getElementById("help-button").addEventListener("click", showHelp);

  // One command from a key or the action bar; the bar acts on the first share if none is selected.
  function run(command, selectFirst) {
    if (command === "next") move(1);
    else if (command === "prev") move(-1);
    else if (command === "help") showHelp();
    else if (command === "new") showNew();
    else {
      if (selectFirst && !selected) move(0);
      if (command === "delete") confirmDelete(selected);
      else if (command in TOGGLES) toggle(selected, command);
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    if (help.open || confirmDialog?.open || !KEYS.has(event.key)) return;
    event.preventDefault();
    run(KEYS.get(event.key), false);
  });

  document.getElementById("action-bar").addEventListener("click", (event) => {
    const button = event.target.closest("[data-bar]");
    if (button) run(button.dataset.bar, true);
  });

  /* ---- what holds the list still: scrolled, under the mouse, or under a finger ---- */
  list.addEventListener("pointerenter", (event) => {
    if (event.pointerType !== "touch") hovering = true;
  });
  list.addEventListener("pointerleave", (event) => {
    if (event.pointerType === "touch") return;
    hovering = false;
    releaseIfFree();
  });
  list.addEventListener(
    "touchstart",
    () => {
      touching = true;
      window.clearTimeout(touchTimer);
    },
    { passive: true },
  );
  for (const type of ["touchend", "touchcancel"]) {
    list.addEventListener(type, () => {
      window.clearTimeout(touchTimer);
      touchTimer = window.setTimeout(() => {
        touching = false;
        releaseIfFree();
      }, TOUCH_SETTLE_MS);
    });
  }
  list.addEventListener("scroll", releaseIfFree, { passive: true });
  newBar.addEventListener("click", showNew);

  /* ---- small screens: one panel at a time ---- */
  const tabs = root.querySelectorAll("[data-show-tab]");
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      root.dataset.tab = tab.dataset.showTab;
      for (const other of tabs)
        other.setAttribute("aria-pressed", other === tab ? "true" : "false");
    });
  }

  const playlist = followPlaylist({
    panel: root.querySelector(".playlist"),
    apiUrl: data.playlistApi,
    send,
    onError: showError,
    onCount: (count) => {
      const badge = root.querySelector("[data-song-count]");
      if (badge) badge.textContent = count;
    },
  });

  followLive({
    streamUrl: data.streamUrl,
    eventsUrl: data.eventsUrl,
    lastEventId: Number.parseInt(data.lastEventId, 10) || 0,
    eventTypes: EVENT_TYPES,
    credentials: "same-origin",
    endStatuses: [401, 403],
    maxRetryMs: 30000,
    onItem: render,
    onState: (state) => setConnection(state === LIVE || state === RECONNECTING ? state : "offline"),
    onEnd: () => window.location.reload(), // signed out: the page asks to sign in again
  });
}
