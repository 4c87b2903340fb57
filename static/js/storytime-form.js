// The storytime form: when the audience or theme changes, suggested questions follow,
// unless the librarian already wrote her own.
const form = document.querySelector("form.storytime-form");
const audience = form?.querySelector("select[name='audience']");
if (audience) {
  followSuggestions(form, audience);
}

function followSuggestions(form, audience) {
  const suggestions = JSON.parse(form.getAttribute("data-suggestions") || "{}");
  let previous = audience.value;

  function questionBox(kind) {
    return form.querySelector(`input[name='question_${kind}']`);
  }

  audience.addEventListener("change", () => {
    const before = suggestions[previous] || {};
    const after = suggestions[audience.value] || {};
    for (const [kind, suggestion] of Object.entries(after)) {
      const box = questionBox(kind);
      // Only replace what is still the old suggestion (or empty): never lose typed text.
      if (box && (box.value === "" || box.value === before[kind])) {
        box.value = suggestion;
      }
    }
    previous = audience.value;
  });
}
