/* The projected display: runs unattended for hours; bounded memory, reconnects by itself. */
(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root) return;
  document.body.classList.add("has-js");

  var data = root.dataset;
  var main = document.getElementById("main");
  var MAX = parseInt(data.maxShares, 10) || 50;
  var SLOTS = 6;
  var ROTATE_MS = 8000;
  var WELCOME_NAMES = 6;
  var lastId = parseInt(data.lastEventId, 10) || 0;
  var wall = document.getElementById("wall");
  var pinnedBox = document.getElementById("pinned");
  var welcome = document.getElementById("welcome");
  var dot = document.getElementById("connection-dot");
  var dotText = document.getElementById("connection-text");
  var icons = {};
  Array.prototype.forEach.call(document.getElementById("kind-icons").content.children, function (el) {
    icons[el.dataset.kind] = el.textContent;
  });

  // Everything visible, newest first: ordinary shares, hellos, and the pinned one.
  var shares = [];
  var hellos = [];
  var pinned = null;
  var page = 0;
  var stopped = false;

  Array.prototype.forEach.call(document.getElementById("initial-shares").content.children, function (el) {
    place({ id: Number(el.dataset.id), kind: el.dataset.kind, text: el.textContent, name: el.dataset.name || null, pinned: el.dataset.pinned === "true" });
  });

  function without(listOf, id) { return listOf.filter(function (s) { return s.id !== id; }); }
  function byNewest(a, b) { return b.id - a.id; }

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
      hellos.length = Math.min(hellos.length, MAX);
    } else {
      shares.push(share);
      shares.sort(byNewest);
      shares.length = Math.min(shares.length, MAX);
    }
  }

  function truncate(text, n) { text = (text || "").trim(); return text.length <= n ? text : text.slice(0, n - 1) + "…"; }

  function renderWelcome() {
    var names = hellos.slice(0, WELCOME_NAMES).reverse().map(function (s) { return truncate(s.name || s.text, 40); })
      .filter(Boolean);
    if (!names.length) { welcome.textContent = data.welcomePlain; return; }
    // Each name in its own <bdi>: a direction override typed in one name must not
    // reorder the words, commas or other names around it.
    var parts;
    try { parts = new Intl.ListFormat(data.lang || undefined, { style: "long", type: "conjunction" }).formatToParts(names); }
    catch (err) {
      parts = [];
      names.forEach(function (name, i) {
        if (i) parts.push({ type: "literal", value: ", " });
        parts.push({ type: "element", value: name });
      });
    }
    var around = data.welcome.split("{names}");
    var nodes = [document.createTextNode(around[0])];
    parts.forEach(function (part) {
      if (part.type !== "element") { nodes.push(document.createTextNode(part.value)); return; }
      var bdi = document.createElement("bdi");
      bdi.textContent = part.value;
      nodes.push(bdi);
    });
    nodes.push(document.createTextNode(around.slice(1).join("{names}")));
    welcome.replaceChildren.apply(welcome, nodes);
  }

  function renderPinned() {
    pinnedBox.hidden = !pinned;
    pinnedBox.querySelector(".pinned-text").textContent = pinned ? pinned.text : "";
    pinnedBox.querySelector(".pinned-name").textContent = pinned && pinned.name ? pinned.name : "";
  }

  function card(share, fresh) {
    var li = document.createElement("li");
    li.className = "wall-card kind-" + share.kind + (fresh ? " is-new" : "");
    var icon = document.createElement("span");
    icon.className = "wall-kind";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = icons[share.kind] || "";
    var text = document.createElement("p");
    text.className = "wall-text";
    text.dir = "auto";
    text.textContent = share.text;
    li.appendChild(icon);
    li.appendChild(text);
    if (share.name) {
      var name = document.createElement("p");
      name.className = "wall-name";
      name.dir = "auto";
      name.textContent = share.name;
      li.appendChild(name);
    }
    return li;
  }

  function renderWall(freshId) {
    var pages = Math.max(1, Math.ceil(shares.length / SLOTS));
    page = page % pages;
    var visible = shares.slice(page * SLOTS, page * SLOTS + SLOTS);
    var items = visible.map(function (s) { return card(s, s.id === freshId); });
    wall.replaceChildren.apply(wall, items);
  }

  function render(freshId) { renderWelcome(); renderPinned(); renderWall(freshId); }

  // With more than one page of shares, show the next (older) page every few seconds.
  window.setInterval(function () {
    if (stopped || shares.length <= SLOTS || main.classList.contains("is-quiet")) return;
    page += 1;
    renderWall(null);
  }, ROTATE_MS);

  function revoke() {
    stopped = true;
    shares = []; hellos = []; pinned = null;
    render(null);
    main.classList.add("is-revoked");
    document.getElementById("revoked-note").hidden = false;
    if (source) source.close();
    window.clearTimeout(pollTimer);
  }

  function apply(item) {
    if (stopped) return;
    lastId = Math.max(lastId, item.id);
    if (item.type === "share.shown") {
      var isNew = !shares.concat(hellos, pinned ? [pinned] : []).some(function (s) { return s.id === item.share.id; });
      place(item.share);
      if (isNew && !item.share.pinned && item.share.kind !== "hello") page = 0;
      render(isNew ? item.share.id : null);
    } else if (item.type === "share.hidden") {
      forget(item.share.id);
      render(null);
    } else if (item.storytime) {
      main.classList.toggle("is-quiet", !!item.storytime.quiet);
      main.classList.toggle("is-closed", item.storytime.state !== "open");
      var code = root.querySelector(".join-code");
      if (code && item.storytime.code) code.textContent = item.storytime.code;
    }
  }

  /* ---- staying connected ---- */
  var source = null;
  var failures = 0;
  var pollDelay = 2000;
  var pollTimer = null;
  var TYPES = ["share.shown", "share.hidden", "storytime.updated", "display.rotated"];

  function offline(on) {
    dot.classList.toggle("is-reconnecting", on);
    dotText.textContent = on ? dotText.dataset.reconnecting : "";
  }

  function connect() {
    if (stopped) return;
    if (!window.EventSource) { poll(); return; }
    source = new EventSource(data.streamUrl + "&last_event_id=" + lastId);
    source.addEventListener("open", function () { failures = 0; offline(false); });
    TYPES.forEach(function (type) {
      source.addEventListener(type, function (e) {
        try { apply(JSON.parse(e.data)); } catch (err) { /* skip a malformed frame */ }
      });
    });
    source.addEventListener("revoked", revoke);
    source.addEventListener("gone", revoke);
    source.addEventListener("error", function () {
      failures += 1;
      offline(true);
      // The browser retries by itself; after a few failures in a row, poll with backoff.
      if (source.readyState === EventSource.CLOSED || failures >= 3) {
        source.close();
        source = null;
        poll();
      }
    });
  }

  function poll() {
    if (stopped) return;
    window.clearTimeout(pollTimer);
    fetch(data.eventsUrl + "&after=" + lastId, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (r) {
        if (r.status === 403 || r.status === 404) { revoke(); throw new Error("revoked"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) {
        body.events.forEach(apply);
        pollDelay = 2000;
        if (body.more) { pollTimer = window.setTimeout(poll, 0); return; }
        failures = 0;
        offline(false);
        connect();
      })
      .catch(function () {
        if (stopped) return;
        offline(true);
        pollDelay = Math.min(pollDelay * 2, 60000);
        pollTimer = window.setTimeout(poll, pollDelay);
      });
  }

  /* ---- a full-screen button that gets out of the way ---- */
  var fullscreen = document.getElementById("fullscreen");
  var idle = null;
  function wake() {
    document.body.classList.remove("is-idle");
    window.clearTimeout(idle);
    idle = window.setTimeout(function () { document.body.classList.add("is-idle"); }, 4000);
  }
  document.addEventListener("mousemove", wake);
  document.addEventListener("keydown", wake);
  wake();
  fullscreen.addEventListener("click", function () {
    var el = document.documentElement;
    if (document.fullscreenElement) document.exitFullscreen();
    else if (el.requestFullscreen) el.requestFullscreen().catch(function () {});
  });

  render(null);
  connect();
})();
