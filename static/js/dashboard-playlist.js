// The dashboard's playtime playlist: songs grouped by spelling, sung marks, on the TV.
// The server groups and counts (storytime/live/playlist.py); this file draws its answer
// and sends the librarian's taps to the playlist API.

/**
 * Follow the playlist panel of one dashboard.
 *
 * @param {object} options
 * @param {HTMLElement} options.panel the playlist section
 * @param {string} options.apiUrl GET …/playlist; writes go to …/sung/<key> and …/screen
 * @param {(method: string, url: string, body?: object) => Promise<object>} options.send
 * @param {(message: string) => void} options.onError
 * @param {(count: number) => void} [options.onCount] called with the number of songs
 * @returns {{refresh: () => void}}
 */
export function followPlaylist({ panel, apiUrl, send, onError, onCount }) {
  const list = panel.querySelector(".playlist-list");
  const empty = panel.querySelector(".empty-playlist");
  const screenButton = panel.querySelector(".act-playlist-screen");
  const words = list.dataset;
  const formTemplate = list.querySelector(".song-form")?.cloneNode(true);
  let timer = null;
  let asking = false;
  let again = false;

  function songUrl(key) {
    return `${apiUrl}/sung/${encodeURIComponent(key)}`;
  }

  function setScreen(onScreen) {
    screenButton.value = onScreen ? "off" : "on";
    screenButton.setAttribute("aria-pressed", onScreen ? "true" : "false");
    screenButton.textContent = onScreen
      ? screenButton.dataset.labelOn
      : screenButton.dataset.labelOff;
  }

  function songItem(song) {
    const item = document.createElement("li");
    item.className = song.sung ? "song is-sung" : "song";
    item.dataset.key = song.key;
    const title = document.createElement("span");
    title.className = "song-title";
    title.dir = "auto";
    title.textContent = song.title;
    title.title = song.spellings.join(" · ");
    item.append(title);
    if (song.count > 1) {
      const count = document.createElement("span");
      count.className = "song-count";
      count.textContent = words.times.replace("{n}", song.count);
      item.append(count);
    }
    if (!song.on_display) {
      const mark = document.createElement("span");
      mark.className = "song-private";
      mark.textContent = words.staffOnly;
      item.append(mark);
    }
    const form = formTemplate ? formTemplate.cloneNode(true) : document.createElement("form");
    form.className = "song-form";
    let button = form.querySelector(".act-sung");
    if (!button) {
      button = document.createElement("button");
      button.type = "submit";
      button.className = "button small act-sung";
      form.append(button);
    }
    const key = form.querySelector('input[name="key"]');
    if (key) key.value = song.key;
    button.value = song.sung ? "unsung" : "sung";
    button.setAttribute("aria-pressed", song.sung ? "true" : "false");
    button.textContent = song.sung ? words.markUnsung : words.markSung;
    item.append(form);
    return item;
  }

  function draw(body) {
    list.replaceChildren(...body.songs.map(songItem));
    empty.hidden = body.songs.length > 0;
    setScreen(body.on_screen);
    onCount?.(body.songs.length);
  }

  async function load() {
    if (asking) {
      again = true;
      return;
    }
    asking = true;
    try {
      draw(await send("GET", apiUrl));
    } catch (error) {
      onError(error.message);
    } finally {
      asking = false;
      if (again) {
        again = false;
        load();
      }
    }
  }

  // A busy room sends many changes at once: ask once for all of them.
  function refresh() {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 250);
  }

  list.addEventListener("submit", async (event) => {
    const form = event.target.closest(".song-form");
    if (!form) return;
    event.preventDefault();
    const item = form.closest(".song");
    const sung = !item.classList.contains("is-sung");
    try {
      draw(await send(sung ? "PUT" : "DELETE", songUrl(item.dataset.key)));
    } catch (error) {
      onError(error.message);
    }
  });

  panel.querySelector(".playlist-screen-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const onScreen = screenButton.getAttribute("aria-pressed") !== "true";
    try {
      draw(await send("POST", `${apiUrl}/screen`, { on_screen: onScreen }));
    } catch (error) {
      onError(error.message);
    }
  });

  return { refresh };
}
