// Headcount steppers: big − and + buttons beside each number box, so counting takes a tap each.
// Without this script the number boxes work on their own.
for (const stepper of document.querySelectorAll("[data-stepper]")) {
  addSteppers(stepper);
}

function addSteppers(stepper) {
  const input = stepper.querySelector("input[type=number]");
  if (!input) return;
  const label = stepper.querySelector("label");
  const name = label ? label.textContent.trim() : "";

  function stepButton(delta, text, describe) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button step";
    button.textContent = text;
    button.setAttribute("aria-label", `${describe} ${name}`);
    button.addEventListener("click", () => {
      const value = Number.parseInt(input.value, 10) || 0;
      const max = Number.parseInt(input.max, 10) || 999;
      input.value = String(Math.min(max, Math.max(0, value + delta)));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    return button;
  }

  const row = document.createElement("div");
  row.className = "step-row";
  input.parentNode.insertBefore(row, input);
  row.appendChild(stepButton(-1, "−", stepper.dataset.less || "One fewer"));
  row.appendChild(input);
  row.appendChild(stepButton(1, "+", stepper.dataset.more || "One more"));
}
