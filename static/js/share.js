// The join page: send without reloading, keep drafts, queue shares while offline.
// Caregiver text is only ever set with textContent.
const form = document.getElementById("share-form");
if (form && window.fetch) {
  startSharing(form);
}

function startSharing(form) {
  document.documentElement.classList.add("js");

  const data = form.dataset;
  const max = Number.parseInt(data.max, 10);
  const text = form.elements.text;
  const nameInput = form.elements.name;
  const status = document.getElementById("share-status");
  const counterBox = document.getElementById("text-counter");
  const counter = counterBox?.querySelector("[data-count]");
  const sendButton = form.querySelector(".send-button");
  const list = document.getElementById("mine-list");
  const mine = document.getElementById("mine");
  const template = document.getElementById("mine-template");
  const DRAFT = `storytime:draft:${data.code}`;
  const QUEUE = `storytime:queue:${data.code}`;
  let visibilityTouched = false;
  let retryDelay = 2000;
  let retryTimer = null;
  let flushing = false;

  // localStorage may be missing or full (private browsing): then we simply do not persist.
  function load(key, fallback) {
    try {
      return JSON.parse(localStorage.getItem(key)) || fallback;
    } catch {
      return fallback;
    }
  }
  function save(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* not persisted */
    }
  }
  function forget(key) {
    try {
      localStorage.removeItem(key);
    } catch {
      /* nothing to forget */
    }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function say(message, kind) {
    status.textContent = "";
    if (!message) return;
    const p = document.createElement("p");
    p.className = `flash flash-${kind || "info"}`;
    p.textContent = message;
    status.appendChild(p);
  }

  function length(value) {
    const trimmed = value.trim();
    return Array.from(trimmed.normalize ? trimmed.normalize("NFC") : trimmed).length;
  }

  function updateCounter() {
    if (!counter) return;
    const n = length(text.value);
    counter.textContent = String(n);
    counterBox.classList.toggle("over", n > max);
  }

  function chosenKind() {
    const checked = form.querySelector(".kind-input:checked");
    return checked ? checked.value : "";
  }

  function showQuestion() {
    const kind = chosenKind();
    for (const question of form.querySelectorAll(".question")) {
      question.hidden = question.dataset.kind !== kind;
    }
  }

  function setVisibility(value) {
    const radio = form.querySelector(`input[name="on_screen"][value="${value}"]`);
    if (radio) radio.checked = true;
    showAudience();
  }

  // The Send button names where the share goes: the choice, else the kind's default
  // (what the server applies when no choice is sent); share.css shows that label.
  function showAudience() {
    const vis = form.querySelector('input[name="on_screen"]:checked');
    const kind = form.querySelector(".kind-input:checked");
    const audience = vis ? vis.value : kind?.dataset.default;
    if (audience) data.audience = audience;
    else delete data.audience;
  }

  function onKindChange(event) {
    showQuestion();
    if (!visibilityTouched && event.target.dataset.default) {
      setVisibility(event.target.dataset.default);
    }
    showAudience();
    saveDraft();
  }

  // The draft: what is in the form, and the id it will be sent with.
  let draft = load(DRAFT, null) || { client_id: newId() };
  function saveDraft() {
    draft.kind = chosenKind();
    draft.text = text.value;
    draft.name = nameInput ? nameInput.value : "";
    const vis = form.querySelector('input[name="on_screen"]:checked');
    draft.on_screen = vis ? vis.value : "";
    draft.touched = visibilityTouched;
    if (draft.text || draft.name) save(DRAFT, draft);
    else forget(DRAFT);
  }
  function restoreDraft() {
    if (!draft.text || text.value) return;
    const kind = form.querySelector(`.kind-input[value="${draft.kind}"]`);
    if (kind) kind.checked = true;
    text.value = draft.text;
    if (nameInput && draft.name && !nameInput.value) nameInput.value = draft.name;
    if (draft.on_screen) setVisibility(draft.on_screen);
    visibilityTouched = !!draft.touched;
  }

  // To a phone, `on_screen` is the caregiver's consent; `shown` is whether it is on screen now.
  function whereLabel(share) {
    if (!share.on_screen) return data.msgWhereLibrarian;
    return share.shown ? data.msgWhereScreen : data.msgWhereHeld;
  }

  function kindLabel(kind) {
    const label = form.querySelector(`label[for="kind-${kind}"]`);
    return {
      icon: label ? label.querySelector(".kind-icon").textContent : "",
      word: label ? label.querySelector(".kind-word").textContent : kind,
    };
  }

  function renderItem(share, pending) {
    const item = template.content.firstElementChild.cloneNode(true);
    const label = kindLabel(share.kind);
    item.querySelector(".kind-icon").textContent = label.icon;
    item.querySelector(".mine-kind-label").textContent = label.word;
    const said = item.querySelector(".mine-text");
    said.dir = "auto"; // its own direction: an override typed in it stays inside
    said.textContent = share.text;
    const who = item.querySelector(".mine-name");
    if (share.name) {
      const bdi = document.createElement("bdi");
      bdi.textContent = share.name;
      who.replaceChildren("— ", bdi);
      who.hidden = false;
    }
    item.dataset.clientId = share.client_id;
    const actions = item.querySelector(".mine-actions");
    if (pending) {
      item.classList.add("pending");
      item.querySelector(".mine-where").textContent = data.msgPending;
      actions.remove();
    } else {
      item.id = `mine-${share.id}`;
      item.querySelector(".mine-where").textContent = whereLabel(share);
      item.querySelector(".mine-edit").href = data.editUrl.replace(
        "/shares/0/",
        `/shares/${share.id}/`,
      );
      item.querySelector(".mine-delete").href = data.deleteUrl.replace(
        "/shares/0/",
        `/shares/${share.id}/`,
      );
    }
    return item;
  }

  function showInList(share, pending) {
    if (!list || !template) return;
    const old =
      list.querySelector(`[data-client-id="${share.client_id}"]`) ||
      (share.id && document.getElementById(`mine-${share.id}`));
    const item = renderItem(share, pending);
    if (old) old.replaceWith(item);
    else list.appendChild(item);
    mine.hidden = false;
  }

  function dropFromList(clientId) {
    const old = list?.querySelector(`[data-client-id="${clientId}"].pending`);
    if (old) old.remove();
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function freshToken() {
    const response = await fetch(data.csrfUrl, { credentials: "same-origin", cache: "no-store" });
    const body = await response.json();
    document.querySelector('meta[name="csrf-token"]').content = body.csrf_token;
    for (const input of form.querySelectorAll('input[name="csrf_token"]')) {
      input.value = body.csrf_token;
    }
  }

  // Send one share. Returns {ok, share} | {retry: true} | {error: message}.
  async function post(payload, tokenRetried) {
    let response;
    try {
      response = await fetch(data.api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(payload),
      });
    } catch {
      return { retry: true };
    }
    let body = {};
    try {
      body = await response.json();
    } catch {
      /* an HTML error page from a proxy */
    }
    if (response.status === 200 || response.status === 201) return { ok: true, share: body };
    if (body.error === "csrf_failed" && !tokenRetried) {
      try {
        await freshToken();
      } catch {
        return { retry: true };
      }
      return post(payload, true);
    }
    if (response.status === 429 || response.status >= 500 || !body.error) return { retry: true };
    return { error: body.message || data.msgFailed, field: body.field };
  }

  function queue() {
    return load(QUEUE, []);
  }
  function setQueue(items) {
    if (items.length) save(QUEUE, items);
    else forget(QUEUE);
  }
  function removeFromQueue(clientId) {
    setQueue(queue().filter((item) => item.client_id !== clientId));
  }

  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      flush();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  // Send what is queued, oldest first; stop at the first network failure.
  async function flush() {
    if (flushing) return;
    flushing = true;
    let sentSome = false;
    try {
      for (const payload of queue()) {
        const result = await post(payload, false);
        if (result.retry) {
          scheduleRetry();
          return;
        }
        removeFromQueue(payload.client_id);
        if (result.ok) {
          showInList(result.share, false);
          sentSome = true;
        } else {
          dropFromList(payload.client_id);
          if (!text.value) {
            text.value = payload.text;
            updateCounter();
            saveDraft();
          }
          say(result.error, "error");
        }
      }
      retryDelay = 2000;
      if (sentSome) say(data.msgFlushed, "success");
    } finally {
      flushing = false;
    }
  }

  async function submit(event) {
    event.preventDefault();
    const n = length(text.value);
    if (n === 0 || n > max) {
      say(n === 0 ? data.msgEmpty : data.msgTooLong, "error");
      text.focus();
      return;
    }
    if (sendButton.getAttribute("aria-busy") === "true") return;
    const vis = form.querySelector('input[name="on_screen"]:checked');
    const payload = {
      kind: chosenKind(),
      text: text.value,
      name: nameInput?.value.trim() ? nameInput.value : null,
      client_id: draft.client_id,
    };
    // No choice made: leave it out, and the server applies the kind's default.
    if (vis) payload.on_screen = vis.value === "screen";
    // Saved before sending: whatever happens to the network, it is not lost.
    setQueue(
      queue()
        .filter((item) => item.client_id !== payload.client_id)
        .concat([payload]),
    );
    sendButton.setAttribute("aria-busy", "true");
    say(data.msgSending);
    const result = await post(payload, false);
    sendButton.removeAttribute("aria-busy");
    if (result.error) {
      removeFromQueue(payload.client_id);
      say(result.error, "error");
      const field = result.field && form.elements[result.field];
      if (field?.focus) field.focus();
      else text.focus();
      return;
    }
    // Sent, or safely queued: the form is free for the next share.
    text.value = "";
    visibilityTouched = false;
    draft = { client_id: newId() };
    forget(DRAFT);
    updateCounter();
    if (result.ok) {
      removeFromQueue(payload.client_id);
      showInList(result.share, false);
      say(data.msgSent, "success");
    } else {
      showInList(payload, true);
      say(data.msgQueued, "info");
      scheduleRetry();
    }
  }

  for (const input of form.querySelectorAll(".kind-input")) {
    input.addEventListener("change", onKindChange);
  }
  for (const input of form.querySelectorAll('input[name="on_screen"]')) {
    input.addEventListener("change", () => {
      visibilityTouched = true;
      showAudience();
      saveDraft();
    });
  }
  text.addEventListener("input", () => {
    updateCounter();
    saveDraft();
  });
  if (nameInput) nameInput.addEventListener("input", saveDraft);
  form.addEventListener("submit", submit);
  window.addEventListener("pagehide", saveDraft);
  window.addEventListener("online", () => {
    retryDelay = 2000;
    flush();
  });

  restoreDraft();
  // The page checks an audience only when it is right whatever kind is picked without
  // script; with script, the chosen kind's default is checked until the caregiver chooses.
  if (!visibilityTouched) {
    const kind = form.querySelector(".kind-input:checked");
    if (kind?.dataset.default) setVisibility(kind.dataset.default);
  }
  showQuestion();
  showAudience();
  updateCounter();
  for (const payload of queue()) showInList(payload, true);
  if (queue().length) flush();
}
