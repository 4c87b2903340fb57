// The display's wall: share cards in the shortest of a few columns (a masonry), one page
// at a time. Each card is measured: too tall for a column, it goes across all of them,
// then in smaller type; what does not fit on this page waits for the next.

const CARD_STEPS = [1, 0.85, 0.72, 0.62, 0.54];

/**
 * Return the wall's pager for a `<ul>` region.
 * @param {HTMLElement} wall the region (its size is fixed by the layout)
 * @param {Object<string, {icon: string, label: string}>} kinds each kind's icon and words
 */
export function createWall(wall, kinds) {
  let onWall = []; // the ids on the page now
  const shownThisRound = new Set(); // ids shown on earlier pages of this round
  // How each card fits the wall alone, kept until the wall changes size.
  const cardFits = new Map();
  let cardFitsFor = "";

  function card(share, fresh) {
    const li = document.createElement("li");
    li.className = `wall-card kind-${share.kind}`;
    li.dataset.id = String(share.id);
    if ((fresh.get(share.id) || 0) > Date.now()) li.classList.add("is-new");
    const kind = document.createElement("p");
    kind.className = "wall-kind";
    const icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = kinds[share.kind]?.icon || "";
    kind.append(icon, ` ${kinds[share.kind]?.label || ""}`);
    const text = document.createElement("p");
    text.className = "wall-text";
    text.dir = "auto";
    text.textContent = share.text;
    li.append(kind, text);
    if (share.name) {
      const name = document.createElement("p");
      name.className = "wall-name";
      name.dir = "auto";
      name.textContent = share.name;
      li.append(name);
    }
    return li;
  }

  function columns() {
    const style = getComputedStyle(wall);
    const unit = Number.parseFloat(style.fontSize) || 20;
    const gap = Number.parseFloat(style.columnGap) || unit / 2;
    const count = Math.max(1, Math.min(4, Math.floor(wall.clientWidth / (unit * 11))));
    return { count, gap, width: (wall.clientWidth - gap * (count - 1)) / count };
  }

  function measure(el, width) {
    el.style.width = `${width}px`;
    if (el.parentNode !== wall) wall.append(el);
    return el.offsetHeight;
  }

  // How a card fits the wall alone: in one column, else across all, in smaller type.
  function fittedCard(share, cols, fresh) {
    const el = card(share, fresh);
    let fit = cardFits.get(share.id);
    if (!fit) {
      fit = { wide: cols.count > 1, scale: CARD_STEPS[CARD_STEPS.length - 1] };
      const tries = [];
      for (const scale of CARD_STEPS.slice(0, 2)) tries.push({ wide: false, scale });
      for (const scale of CARD_STEPS) tries.push({ wide: true, scale });
      for (const scale of CARD_STEPS.slice(2)) tries.push({ wide: false, scale });
      for (const candidate of cols.count > 1 ? tries : tries.filter((t) => !t.wide)) {
        el.style.setProperty("--fit", String(candidate.scale));
        const width = candidate.wide ? wall.clientWidth : cols.width;
        if (measure(el, width) <= wall.clientHeight) {
          fit = candidate;
          break;
        }
      }
      el.remove();
      cardFits.set(share.id, fit);
    }
    el.classList.toggle("is-wide", fit.wide);
    el.style.setProperty("--fit", String(fit.scale));
    return el;
  }

  /**
   * Draw one page: the shares not yet shown in this round, newest first, each in the
   * shortest column; one too tall for what is left waits for the next page.
   * @param {object[]} shares newest first
   * @param {Map<number, number>} fresh share id -> until when it is marked new
   * @param {boolean} shown whether the wall is on screen at all
   */
  function fill(shares, fresh, shown) {
    wall.replaceChildren();
    onWall = [];
    if (!shown || !wall.clientHeight) return;
    const cols = columns();
    const size = `${wall.clientWidth}x${wall.clientHeight}/${cols.count}`;
    if (size !== cardFitsFor) {
      cardFits.clear();
      cardFitsFor = size;
    }
    let waiting = shares.filter((share) => !shownThisRound.has(share.id));
    if (!waiting.length) {
      shownThisRound.clear();
      waiting = shares;
    }
    const heights = new Array(cols.count).fill(0);
    for (const share of waiting) {
      if (Math.min(...heights) >= wall.clientHeight) break;
      const el = fittedCard(share, cols, fresh);
      const wide = el.classList.contains("is-wide");
      const height = measure(el, wide ? wall.clientWidth : cols.width);
      const column = wide ? 0 : heights.indexOf(Math.min(...heights));
      const top = wide ? Math.max(...heights) : heights[column];
      if (onWall.length && top + height > wall.clientHeight + 0.5) {
        el.remove();
        continue;
      }
      el.style.top = `${top}px`;
      el.style.insetInlineStart = `${column * (cols.width + cols.gap)}px`;
      if (wide) heights.fill(top + height + cols.gap);
      else heights[column] = top + height + cols.gap;
      onWall.push(share.id);
    }
  }

  return {
    fill,
    /** Whether some share is not on this page. */
    hasPages: (shares) => onWall.length < shares.length,
    /** Turn to the next page of this round. */
    next(shares, fresh, shown) {
      for (const id of onWall) shownThisRound.add(id);
      fill(shares, fresh, shown);
    },
    /** Start a new round: the next page is the first, newest on top. */
    newRound: () => shownThisRound.clear(),
    /** Forget what was measured of a share. */
    forget: (id) => cardFits.delete(id),
  };
}
