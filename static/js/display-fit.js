// Fitting text into the display's fixed regions: a few steps of smaller type, never a
// region that grows. Each helper measures the real layout, so any script, emoji or
// screen size is measured, not guessed.

/** The type scales tried, largest first: the smallest is still readable across a room. */
export const STEPS = [1, 0.9, 0.8, 0.7, 0.6, 0.52, 0.45];

/**
 * Set `--fit` on `el` to the largest step for which `fits()` holds.
 * @returns {boolean} whether some step fits (else the smallest is left set)
 */
export function fitScale(el, fits, steps = STEPS) {
  for (const step of steps) {
    el.style.setProperty("--fit", String(step));
    if (fits()) return true;
  }
  return false;
}

/**
 * Keep `el` (a one-line, nowrap element) on one line: try each content in `tries` (the
 * fullest first) at a slightly smaller type before the next; else keep the last and
 * scale its type down as far as it takes.
 */
export function fitOneLine(el, tries) {
  if (!el.clientWidth) return;
  const fits = () => el.scrollWidth <= el.clientWidth + 1;
  for (const apply of tries) {
    apply();
    if (fitScale(el, fits, STEPS.slice(0, 3))) return;
  }
  fitScale(el, fits);
}
