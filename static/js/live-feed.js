// The one live client: follows a storytime's events so a page can stay in step.
//
// It opens the Server-Sent Events stream after the last event id the page knows (the
// browser then resumes with Last-Event-ID by itself), falls back to polling `?after=` when
// the stream keeps failing, waits longer after each failed poll (with jitter, so screens do
// not all come back at the same moment after a server restart), returns to the stream a
// moment after the server answers, and reports how connected it is. Pages only render: each
// feed item reaches `onItem` once, oldest first.

/** The stream is open: changes arrive as they happen. */
export const LIVE = "live";
/** The stream broke; the browser is retrying it. */
export const RECONNECTING = "reconnecting";
/** Streams keep failing; the last poll answered, and the stream is tried again shortly. */
export const POLLING = "polling";
/** The last poll failed too; the next one waits longer. */
export const UNREACHABLE = "unreachable";

const FIRST_RETRY_MS = 2000;
const STREAM_FAILURES_BEFORE_POLLING = 3;

/** Return `url` with one query parameter set (the display's URLs already carry its token). */
function withParam(url, name, value) {
  const full = new URL(url, window.location.href);
  full.searchParams.set(name, String(value));
  return full.href;
}

/** Return a delay between half of `ms` and all of it. */
function jittered(ms) {
  return Math.round(ms / 2 + (Math.random() * ms) / 2);
}

/**
 * Follow one storytime's feed until `stop()` or an ending.
 *
 * @param {object} options
 * @param {string} options.streamUrl the SSE stream (`last_event_id` is added)
 * @param {string} options.eventsUrl the JSON feed (`after` is added)
 * @param {number} options.lastEventId the last event the page already shows
 * @param {string[]} options.eventTypes the stream events that carry a feed item
 * @param {string[]} [options.endEvents] stream events after which there is nothing to follow
 * @param {number[]} [options.endStatuses] poll answers after which there is nothing to follow
 * @param {RequestCredentials} [options.credentials] "same-origin" for staff, "omit" for the display
 * @param {number} [options.maxRetryMs] the longest wait between two polls
 * @param {(item: object) => void} options.onItem called once per new feed item
 * @param {(state: string) => void} [options.onState] called with LIVE, RECONNECTING, POLLING or UNREACHABLE
 * @param {(reason: string) => void} [options.onEnd] called once, with the event or HTTP status that ended it
 * @returns {{stop: () => void}}
 */
export function followLive(options) {
  const {
    streamUrl,
    eventsUrl,
    eventTypes,
    endEvents = [],
    endStatuses = [],
    credentials = "same-origin",
    maxRetryMs = 30000,
    onItem,
    onState = () => {},
    onEnd = () => {},
  } = options;
  let lastId = Number(options.lastEventId) || 0;
  let source = null;
  let failures = 0;
  let retryMs = FIRST_RETRY_MS;
  let pollTimer = null;
  let stopped = false;

  function deliver(item) {
    if (stopped || !item || item.id <= lastId) return;
    lastId = item.id;
    try {
      onItem(item);
    } catch (error) {
      console.error(error); // one item the page could not render must not stop the feed
    }
  }

  function closeStream() {
    if (!source) return;
    source.close();
    source = null;
  }

  function stop() {
    stopped = true;
    closeStream();
    window.clearTimeout(pollTimer);
  }

  function end(reason) {
    if (stopped) return;
    stop();
    onEnd(reason);
  }

  function connect() {
    if (stopped) return;
    if (!("EventSource" in window)) {
      poll();
      return;
    }
    const stream = new EventSource(withParam(streamUrl, "last_event_id", lastId));
    source = stream;
    stream.addEventListener("open", () => {
      failures = 0;
      onState(LIVE);
    });
    for (const type of eventTypes) {
      stream.addEventListener(type, (event) => {
        let item;
        try {
          item = JSON.parse(event.data);
        } catch {
          return; // a malformed frame is skipped
        }
        deliver(item);
      });
    }
    for (const type of endEvents) {
      stream.addEventListener(type, () => end(type));
    }
    stream.addEventListener("error", () => {
      if (stream !== source) return;
      failures += 1;
      onState(RECONNECTING);
      // The browser retries by itself; after a few failures in a row, poll with backoff.
      if (stream.readyState === EventSource.CLOSED || failures >= STREAM_FAILURES_BEFORE_POLLING) {
        closeStream();
        poll();
      }
    });
  }

  async function poll() {
    if (stopped) return;
    window.clearTimeout(pollTimer);
    let body;
    try {
      const response = await fetch(withParam(eventsUrl, "after", lastId), {
        credentials,
        headers: { Accept: "application/json" },
      });
      if (endStatuses.includes(response.status)) {
        end(String(response.status));
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch {
      if (stopped) return;
      onState(UNREACHABLE);
      retryMs = Math.min(retryMs * 2, maxRetryMs);
      pollTimer = window.setTimeout(poll, jittered(retryMs));
      return;
    }
    for (const item of body.events) deliver(item);
    if (stopped) return;
    lastId = Math.max(lastId, Number(body.last_id) || 0);
    retryMs = FIRST_RETRY_MS;
    onState(POLLING);
    if (body.more) {
      pollTimer = window.setTimeout(poll, 0);
      return;
    }
    // The server answers again: back to the stream in a moment. Not at once: a stream that
    // is refused straight away (a proxy's 502) would otherwise loop with no pause.
    failures = 0;
    pollTimer = window.setTimeout(connect, jittered(FIRST_RETRY_MS));
  }

  connect();
  return { stop };
}
