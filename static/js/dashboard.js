/* The librarian's live dashboard: follow the stream, act on shares, keep in step. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) return;
  document.body.classList.add("has-js");

  var data = root.dataset;
  var lastId = parseInt(data.lastEventId, 10) || 0;
  var list = document.getElementById("share-list");
  var playlist = document.getElementById("playlist");
  var template = document.getElementById("share-template");
  var announcer = document.getElementById("announcer");
  var statusText = root.querySelector(".live-status-text");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var kindInfo = {};
  Array.prototype.forEach.call(
    document.getElementById("kind-labels").content.querySelectorAll("[data-kind]"),
    function (el) { kindInfo[el.dataset.kind] = { label: el.textContent, icon: el.dataset.icon }; }
  );
  var FLAGS = ["allow_screen", "on_screen", "held", "pinned", "answered", "starred"];
  var TYPES = ["share.created", "share.updated", "share.deleted", "storytime.updated", "display.rotated"];

  function attr(name) { return "data-" + name.replace(/_/g, "-"); }
  function cards() { return Array.prototype.slice.call(list.querySelectorAll(".share-card")); }
  function cardFor(id) { return document.getElementById("share-" + id); }
  function setStatus(kind) {
    root.dataset.connection = kind;
    statusText.textContent = statusText.dataset[kind] || "";
  }
  function announce(text) { announcer.textContent = ""; window.setTimeout(function () { announcer.textContent = text; }, 50); }
  function timeLabel(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  /* ---- rendering: every change arrives as a share in its current state ---- */
  function syncButtons(card) {
    var on = function (flag) { return card.getAttribute(attr(flag)) === "true"; };
    var set = function (sel, state, onValue, offValue) {
      var b = card.querySelector(sel);
      if (!b) return;
      b.value = state ? onValue : offValue;
      b.textContent = state ? b.dataset.labelOn : b.dataset.labelOff;
      b.setAttribute("aria-pressed", state ? "true" : "false");
    };
    set(".act-screen", on("on_screen"), "hide", "show");
    set(".act-pin", on("pinned"), "unpin", "pin");
    set(".act-answer", on("answered"), "unanswer", "answer");
    set(".act-star", on("starred"), "unstar", "star");
    var staffOnly = !on("allow_screen");
    card.querySelector(".act-screen").disabled = staffOnly;
    card.querySelector(".act-pin").disabled = staffOnly;
    card.querySelector(".act-answer").hidden = card.dataset.kind !== "question";
    card.classList.toggle("is-pinned", on("pinned"));
  }

  function fill(card, share) {
    card.id = "share-" + share.id;
    card.dataset.shareId = share.id;
    card.dataset.kind = share.kind;
    card.className = card.className.replace(/\bkind-\S+/g, "").trim() + " kind-" + share.kind;
    FLAGS.forEach(function (flag) { card.setAttribute(attr(flag), share[flag] ? "true" : "false"); });
    var info = kindInfo[share.kind] || { label: share.kind, icon: "" };
    card.querySelector(".kind-icon").textContent = info.icon;
    card.querySelector(".kind-name").textContent = info.label;
    card.querySelector(".share-name").textContent = share.name || "";
    card.querySelector(".share-text").textContent = share.text;
    var time = card.querySelector(".share-time");
    if (!time.getAttribute("datetime")) {
      time.setAttribute("datetime", share.created_at);
      time.textContent = timeLabel(share.created_at);
    }
    var form = card.querySelector(".share-actions");
    form.action = form.getAttribute("action").replace(/\/0$/, "/" + share.id);
    syncButtons(card);
  }

  function upsert(share, isNew) {
    var card = cardFor(share.id);
    if (!card) {
      card = template.content.firstElementChild.cloneNode(true);
      fill(card, share);
      var before = cards().find(function (c) { return Number(c.dataset.shareId) < share.id; });
      list.insertBefore(card, before || null);
      if (isNew) {
        card.classList.add("is-new");
        announce(data.msgNew.replace("{kind}", (kindInfo[share.kind] || {}).label || share.kind));
      }
    } else {
      fill(card, share);
    }
    if (share.kind === "song") upsertSong(share);
    syncEmpty();
  }

  function removeShare(id) {
    var card = cardFor(id);
    if (card) {
      var wasSelected = card === selected;
      var next = card.nextElementSibling || card.previousElementSibling;
      card.remove();
      if (wasSelected) select(next, false);
    }
    var song = playlist.querySelector('[data-share-id="' + id + '"]');
    if (song) song.remove();
    syncEmpty();
  }

  function upsertSong(share) {
    var item = playlist.querySelector('[data-share-id="' + share.id + '"]');
    if (!item) {
      item = document.createElement("li");
      item.dataset.shareId = share.id;
      var after = Array.prototype.find.call(playlist.children, function (li) { return Number(li.dataset.shareId) > share.id; });
      playlist.insertBefore(item, after || null);
    }
    item.textContent = "";
    var title = document.createElement("span");
    title.className = "song-title";
    title.dir = "auto";
    title.textContent = share.text;
    item.appendChild(title);
    if (share.name) {
      var who = document.createElement("span");
      who.className = "muted small";
      var whoName = document.createElement("bdi");
      whoName.textContent = share.name;
      who.replaceChildren(" — ", whoName);
      item.appendChild(who);
    }
  }

  function syncEmpty() {
    root.querySelector(".empty-shares").hidden = list.children.length > 0;
    root.querySelector(".empty-playlist").hidden = playlist.children.length > 0;
  }

  function updateCounts(counts) {
    if (!counts) return;
    Object.keys(counts.by_kind || {}).forEach(function (kind) {
      var el = root.querySelector('[data-count="' + kind + '"]');
      if (el) el.textContent = counts.by_kind[kind];
    });
    var phones = root.querySelector('[data-count="phones"]');
    if (phones) phones.textContent = counts.phones;
  }

  function updateStorytime(st) {
    var label = root.querySelector(".state-label");
    label.textContent = label.dataset[st.state] || st.state;
    var stateButton = root.querySelector(".act-state");
    var open = st.state === "open";
    stateButton.value = open ? "close" : "open";
    stateButton.textContent = open ? stateButton.dataset.labelOn : stateButton.dataset.labelOff;
    stateButton.classList.toggle("danger", open);
    stateButton.classList.toggle("primary", !open);
    var quiet = root.querySelector(".act-quiet");
    quiet.value = st.quiet ? "unquiet" : "quiet";
    quiet.textContent = st.quiet ? quiet.dataset.labelOn : quiet.dataset.labelOff;
    quiet.setAttribute("aria-pressed", st.quiet ? "true" : "false");
    if (st.display_url) {
      document.getElementById("display-link").value = st.display_url;
      document.getElementById("open-display").href = st.display_url;
    }
    updateCounts(st.counts);
  }

  function apply(item, fromLive) {
    if (item.id <= lastId && fromLive) return;
    lastId = Math.max(lastId, item.id);
    if (item.share) {
      if (item.type === "share.deleted") removeShare(item.share.id);
      else upsert(item.share, item.type === "share.created");
      updateCounts(item.counts);
    } else if (item.storytime) {
      updateStorytime(item.storytime);
    }
  }

  /* ---- following: EventSource first, polling when it keeps failing ---- */
  var source = null;
  var failures = 0;
  var pollDelay = 2000;
  var pollTimer = null;

  function connect() {
    if (!window.EventSource) { setStatus("offline"); poll(); return; }
    var url = data.streamUrl + "?last_event_id=" + lastId;
    source = new EventSource(url);
    source.addEventListener("open", function () { failures = 0; setStatus("live"); });
    TYPES.forEach(function (type) {
      source.addEventListener(type, function (e) {
        try { apply(JSON.parse(e.data), true); } catch (err) { /* a malformed frame is skipped */ }
      });
    });
    source.addEventListener("error", function () {
      failures += 1;
      setStatus("reconnecting");
      if (source.readyState === EventSource.CLOSED || failures >= 3) {
        source.close();
        source = null;
        setStatus("offline");
        poll();
      }
    });
  }

  function poll() {
    window.clearTimeout(pollTimer);
    fetch(data.eventsUrl + "?after=" + lastId, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) {
        body.events.forEach(function (item) { apply(item, true); });
        pollDelay = 2000;
        if (body.more) { pollTimer = window.setTimeout(poll, 0); return; }
        // Back on a connection: try the stream again.
        failures = 0;
        connect();
      })
      .catch(function () {
        pollDelay = Math.min(pollDelay * 2, 30000);
        pollTimer = window.setTimeout(poll, pollDelay);
      });
  }

  /* ---- actions: the JSON API; the stream then brings every dashboard in step ---- */
  function send(method, url, body) {
    var headers = { "X-CSRFToken": csrf, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method, credentials: "same-origin", headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 204) return {};
      return r.json().then(function (json) {
        if (!r.ok) throw new Error(json.message || data.msgFailed);
        return json;
      });
    });
  }

  var CHANGES = {
    show: { on_screen: true }, hide: { on_screen: false },
    pin: { pinned: true }, unpin: { pinned: false },
    answer: { answered: true }, unanswer: { answered: false },
    star: { starred: true }, unstar: { starred: false }
  };

  function shareAction(card, action) {
    var id = Number(card.dataset.shareId);
    var url = data.shareApi.replace(/\/0$/, "/" + id);
    var request;
    if (action === "delete") {
      request = send("DELETE", url).then(function () { removeShare(id); });
    } else {
      request = send("PATCH", url, CHANGES[action]).then(function (body) { upsert(body.share, false); });
    }
    card.setAttribute("aria-busy", "true");
    return request.catch(function (err) { window.alert(err.message || data.msgFailed); })
      .then(function () { card.removeAttribute("aria-busy"); });
  }

  list.addEventListener("submit", function (e) {
    var form = e.target.closest(".share-actions");
    if (!form || !e.submitter) return;
    e.preventDefault();
    var card = form.closest(".share-card");
    select(card, false);
    shareAction(card, e.submitter.value);
  });

  root.querySelector(".control-form").addEventListener("submit", function (e) {
    if (!e.submitter) return;
    e.preventDefault();
    var action = e.submitter.value;
    var change = (action === "open" || action === "close")
      ? { state: action === "open" ? "open" : "closed" }
      : { quiet: action === "quiet" };
    send("PATCH", data.storytimeApi, change).then(updateStorytime)
      .catch(function (err) { window.alert(err.message || data.msgFailed); });
  });

  root.querySelector(".rotate-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!window.confirm(data.confirmRotate)) return;
    send("POST", data.rotateApi, {}).then(function (body) {
      updateStorytime(body.storytime);
      e.target.closest("details").open = false;
    }).catch(function (err) { window.alert(err.message || data.msgFailed); });
  });

  document.getElementById("copy-link").addEventListener("click", function () {
    var input = document.getElementById("display-link");
    var done = function () { announce(data.msgCopied); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      try { if (document.execCommand("copy")) done(); } catch (err) { /* the text stays selected */ }
    }
  });

  /* ---- selection, keyboard shortcuts and the one-handed action bar ---- */
  var selected = null;
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
    var all = cards();
    if (!all.length) return;
    var index = selected ? all.indexOf(selected) : -1;
    select(all[Math.max(0, Math.min(all.length - 1, index + step))], true);
  }
  function toggle(card, flag, on, off) {
    if (!card) return;
    var button = card.querySelector(".act-" + flag);
    if (!button || button.disabled || button.hidden) return;
    shareAction(card, card.getAttribute(attr(
      { screen: "on_screen", pin: "pinned", answer: "answered", star: "starred" }[flag]
    )) === "true" ? off : on);
  }
  function confirmDelete(card) {
    if (card && window.confirm(data.confirmDelete)) shareAction(card, "delete");
  }

  list.addEventListener("click", function (e) {
    var card = e.target.closest(".share-card");
    if (card && card !== selected && !e.target.closest("button, summary, a")) select(card, false);
  });
  list.addEventListener("focusin", function (e) {
    var card = e.target.closest(".share-card");
    if (card && card !== selected) { if (selected) selected.classList.remove("is-selected"); selected = card; card.classList.add("is-selected"); }
  });

  var help = document.getElementById("shortcuts");
  function showHelp() { if (help.showModal && !help.open) help.showModal(); }
  document.getElementById("help-button").addEventListener("click", showHelp);

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) || help.open) return;
    var handled = true;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "s": toggle(selected, "screen", "show", "hide"); break;
      case "p": toggle(selected, "pin", "pin", "unpin"); break;
      case "a": toggle(selected, "answer", "answer", "unanswer"); break;
      case "*": toggle(selected, "star", "star", "unstar"); break;
      case "Delete": confirmDelete(selected); break;
      case "?": showHelp(); break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });

  document.getElementById("action-bar").addEventListener("click", function (e) {
    var button = e.target.closest("[data-bar]");
    if (!button) return;
    var what = button.dataset.bar;
    if (what === "prev") return move(-1);
    if (what === "next") return move(1);
    if (!selected) move(0);
    if (what === "screen") toggle(selected, "screen", "show", "hide");
    else if (what === "pin") toggle(selected, "pin", "pin", "unpin");
    else if (what === "answer") toggle(selected, "answer", "answer", "unanswer");
    else if (what === "star") toggle(selected, "star", "star", "unstar");
    else if (what === "delete") confirmDelete(selected);
  });

  connect();
})();
