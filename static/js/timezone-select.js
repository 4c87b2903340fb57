// The time zone select (settings, first-run setup): typing in the box keeps only the zones
// whose IANA name, city (in the page's language) or region matches, and picks the first of
// them if the chosen one is gone.
// Without this script the select still works: grouped by region, with the browser's type-ahead.
for (const picker of document.querySelectorAll("[data-zone-picker]")) {
  setUpPicker(picker);
}

function fold(text) {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[_/\s]+/g, " ")
    .trim();
}

function setUpPicker(picker) {
  const box = picker.querySelector("[data-zone-filter]");
  const select = picker.querySelector("select");
  const count = picker.querySelector("[data-zone-count]");
  if (!box || !select) return;
  for (const element of picker.querySelectorAll("[data-zone-reveal]")) element.hidden = false;
  const options = [...select.options].map((option) => ({
    option,
    words: fold(`${option.value} ${option.text} ${option.parentElement.label || ""}`),
  }));

  box.addEventListener("input", () => {
    const wanted = fold(box.value);
    let first = null;
    let shown = 0;
    for (const { option, words } of options) {
      const match = !wanted || words.includes(wanted);
      option.hidden = !match;
      if (match) {
        shown += 1;
        first = first || option;
      }
    }
    for (const group of select.querySelectorAll("optgroup")) {
      group.hidden = ![...group.children].some((option) => !option.hidden);
    }
    if (first && select.selectedOptions[0]?.hidden) first.selected = true;
    count.textContent = !wanted
      ? ""
      : shown
        ? count.dataset.some.replace("{n}", String(shown))
        : count.dataset.none;
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // Enter in the box picks, it does not save the form
      select.focus();
    }
  });
}
