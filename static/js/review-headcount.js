// Headcount steppers: big − and + buttons beside each number box, so counting takes a tap each.
// Without this script the number boxes work on their own.
(function () {
  "use strict";
  document.querySelectorAll("[data-stepper]").forEach(function (stepper) {
    var input = stepper.querySelector("input[type=number]");
    if (!input) { return; }
    var label = stepper.querySelector("label");
    var name = label ? label.textContent.trim() : "";
    function button(delta, text, describe) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button step";
      b.textContent = text;
      b.setAttribute("aria-label", describe + " " + name);
      b.addEventListener("click", function () {
        var value = parseInt(input.value, 10);
        if (isNaN(value)) { value = 0; }
        var max = parseInt(input.max, 10) || 999;
        input.value = String(Math.min(max, Math.max(0, value + delta)));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      return b;
    }
    var row = document.createElement("div");
    row.className = "step-row";
    input.parentNode.insertBefore(row, input);
    row.appendChild(button(-1, "−", stepper.dataset.less || "One fewer"));
    row.appendChild(input);
    row.appendChild(button(1, "+", stepper.dataset.more || "One more"));
  });
})();
