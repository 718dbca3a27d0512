// Progressive enhancement only: every page works without this file.
"use strict";

// Programme filters: folded on phones (a <details>), opened on wide screens.
document.querySelectorAll("details[data-open-wide]").forEach((panel) => {
  if (window.matchMedia("(min-width: 48rem)").matches) panel.open = true;
});

// Livestream (templates/livestream/_player.html): click-to-load player. Without this script the
// poster is a plain link to the video on youtube.com; with it, the privacy-enhanced player takes
// the poster's place only when the visitor clicks, so no request reaches Google before that.
document.addEventListener("click", (event) => {
  const poster = event.target instanceof Element ? event.target.closest("a[data-video-id]") : null;
  if (!poster) return;
  // Let a new tab or window open the video on youtube.com as usual.
  if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  // The address is built on the server (hub/livestream/urls.py); only the nocookie player loads.
  const src = poster.dataset.embedUrl || "";
  if (!src.startsWith("https://www.youtube-nocookie.com/embed/")) return;
  event.preventDefault();
  const frame = document.createElement("iframe");
  frame.src = src;
  frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
  frame.setAttribute("allow", "autoplay; encrypted-media; picture-in-picture");
  frame.setAttribute("allowfullscreen", "");
  frame.title = poster.dataset.playerTitle || "YouTube";
  frame.className = "player-frame";
  poster.replaceWith(frame);
  frame.focus();
});

// "My programme": stars kept in this browser only (localStorage), no account. The list is
// shareable as /?events=a,b and exportable as /programme.ics?events=a,b.
(() => {
  const KEY = "hub.myProgramme";
  const read = () => {
    try {
      const list = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list.filter((s) => /^[a-z0-9][a-z0-9-]*$/.test(s)) : [];
    } catch {
      return [];
    }
  };
  const write = (list) => {
    try {
      localStorage.setItem(KEY, JSON.stringify(list));
    } catch {
      /* private mode: stars last for this page only */
    }
  };
  const stars = document.querySelectorAll("button[data-star]");
  const link = document.querySelector("a[data-my-programme]");
  const refresh = () => {
    const chosen = new Set(read());
    stars.forEach((button) => {
      const on = chosen.has(button.dataset.star);
      button.setAttribute("aria-pressed", String(on));
      const icon = button.querySelector(".star-icon");
      if (icon) icon.textContent = on ? "★" : "☆";
      button.hidden = false;
    });
    if (link) {
      link.hidden = chosen.size === 0;
      const base = link.getAttribute("href").split("?")[0];
      link.setAttribute("href", `${base}?events=${[...chosen].join(",")}`);
      const count = link.querySelector("[data-star-count]");
      if (count) count.textContent = String(chosen.size);
    }
  };
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-star]") : null;
    if (!button) return;
    const list = read();
    const slug = button.dataset.star;
    write(list.includes(slug) ? list.filter((s) => s !== slug) : [...list, slug]);
    refresh();
  });
  refresh();
})();

// Keep the chosen day tab in view in its scrolling row (phones).
document.querySelectorAll(".day-tabs [aria-current]").forEach((tab) => {
  tab.scrollIntoView({ block: "nearest", inline: "center" });
});
