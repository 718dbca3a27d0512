// Door mode (templates/organiser/door.html). Progressive enhancement: without this file the
// search is a GET form and check-in and undo are plain POST forms that come back to the page.
// With it: the list filters as you type, check-in and undo happen without a reload (the
// search box is cleared for the next guest), and phones with the BarcodeDetector API scan
// QR tickets with the camera.
"use strict";

(() => {
  const door = document.querySelector("[data-door]");
  if (!door) return;
  const search = document.getElementById("door-q");
  const list = document.getElementById("door-list");
  const result = document.getElementById("door-result");
  const count = document.getElementById("door-count");
  const expected = document.getElementById("door-expected");

  const filter = () => {
    const terms = search.value.toLowerCase().normalize("NFC").split(/\s+/).filter(Boolean);
    list.querySelectorAll("li[data-search]").forEach((row) => {
      const text = row.dataset.search || "";
      row.hidden = !terms.every((term) => text.includes(term));
    });
  };
  search.addEventListener("input", filter);
  search.form.addEventListener("submit", (event) => {
    event.preventDefault();
    filter();
  });

  const say = (message, ok) => {
    result.textContent = message;
    result.className = `door-result ${ok ? "door-ok" : "door-problem"}`;
  };

  list.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    event.preventDefault();
    const row = form.closest("li");
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok && response.headers.get("Content-Type") !== "application/json") {
        throw new Error(String(response.status));
      }
      const answer = await response.json();
      row.classList.toggle("is-checked-in", answer.checked_in);
      row.querySelector("form.door-in").hidden = answer.checked_in;
      row.querySelector("form.door-undo").hidden = !answer.checked_in;
      row.querySelector(".door-time").textContent = answer.time || "";
      count.textContent = answer.count;
      expected.textContent = answer.expected;
      say(answer.message, answer.ok);
      search.value = "";
      filter();
      search.focus();
    } catch (error) {
      form.submit(); // the plain form still works
    } finally {
      button.disabled = false;
    }
  });

  // Camera scanning where the browser can decode QR codes itself.
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  const scan = document.getElementById("door-scan");
  const start = document.getElementById("scan-start");
  const video = document.getElementById("scan-video");
  const note = document.getElementById("scan-note");
  const prefix = door.dataset.checkinPrefix; // a path: the ticket's host is BASE_URL's
  const ticketPath = (value) => {
    try {
      const path = new URL(value).pathname;
      return path.startsWith(prefix) ? path : null;
    } catch (error) {
      return null;
    }
  };
  scan.hidden = false;
  let stream = null;

  const stop = () => {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
  };

  start.addEventListener("click", async () => {
    if (stream) return stop();
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      note.hidden = false;
      note.textContent = start.dataset.noCamera || String(error);
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const look = async () => {
      if (!stream) return;
      const codes = await detector.detect(video).catch(() => []);
      const ticket = codes.map((code) => ticketPath(code.rawValue)).find(Boolean);
      if (ticket) {
        stop();
        const target = new URL(ticket, window.location.href);
        target.searchParams.set("door", door.dataset.door);
        window.location.assign(target.href);
        return;
      }
      window.setTimeout(look, 250);
    };
    look();
  });
})();
