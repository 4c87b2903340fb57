// The storytime form: when the audience or theme changes, suggested questions follow,
// unless the librarian already wrote her own.
(function () {
  "use strict";
  var form = document.querySelector("form.storytime-form");
  if (!form) return;
  var suggestions = JSON.parse(form.getAttribute("data-suggestions") || "{}");
  var audience = form.querySelector("select[name='audience']");
  if (!audience) return;
  var previous = audience.value;

  function questionBox(kind) {
    return form.querySelector("input[name='question_" + kind + "']");
  }

  audience.addEventListener("change", function () {
    var before = suggestions[previous] || {};
    var after = suggestions[audience.value] || {};
    Object.keys(after).forEach(function (kind) {
      var box = questionBox(kind);
      // Only replace what is still the old suggestion (or empty): never lose typed text.
      if (box && (box.value === "" || box.value === before[kind])) {
        box.value = after[kind];
      }
    });
    previous = audience.value;
  });
})();
