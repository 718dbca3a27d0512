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
  const id = poster.dataset.videoId || "";
  if (!/^[A-Za-z0-9_-]{11}$/.test(id)) return;
  event.preventDefault();
  const frame = document.createElement("iframe");
  frame.src = `https://www.youtube-nocookie.com/embed/${id}?autoplay=1`;
  frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
  frame.setAttribute("allow", "autoplay; encrypted-media; picture-in-picture");
  frame.setAttribute("allowfullscreen", "");
  frame.title = poster.dataset.playerTitle || "YouTube";
  frame.className = "player-frame";
  poster.replaceWith(frame);
  frame.focus();
});
