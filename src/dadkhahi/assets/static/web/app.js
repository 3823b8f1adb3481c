// Dadkhahi workspace: the little script the pages use (no inline script: the CSP
// forbids it). Pages work without it; htmx adds inline updates where it is loaded.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Keyboard shortcuts declared in markup: <button data-key="s">…</button>.
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement &&
        (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) {
      return;
    }
    // event.code names the physical key, so S is S on a Persian keyboard too (where
    // event.key would be "س").
    const button = document.querySelector(`[data-key="${CSS.escape(event.code)}"]`);
    if (button instanceof HTMLElement) {
      event.preventDefault();
      button.click();
    }
  });
});
