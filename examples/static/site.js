// The latchkey web example's one script (the CSP allows no inline script).
// It only hides "Additional Details" until "Other" is chosen; without it,
// the field simply stays visible.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("details-box");
  if (!box) return;
  const radios = document.querySelectorAll('input[name="help"]');
  const show = () => {
    const other = document.querySelector('input[name="help"][value="other"]');
    box.hidden = !(other && other.checked);
  };
  radios.forEach((r) => r.addEventListener("change", show));
  show();
});
