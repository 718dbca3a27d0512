// Progressive enhancement only: every page works without this file.
"use strict";

// Programme filters: folded on phones (a <details>), opened on wide screens.
document.querySelectorAll("details[data-open-wide]").forEach((panel) => {
  if (window.matchMedia("(min-width: 48rem)").matches) panel.open = true;
});

