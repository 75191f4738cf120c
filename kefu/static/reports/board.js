// The live board: read again from the server when a push that changes it arrives over the one
// socket of live.js (kefuLive), at most once a second; never polled. After a reconnection it reads
// once too, in case pushes were lost while the socket was down.
(function () {
  "use strict";
  var box = document.getElementById("live-board");
  if (!box || !window.kefuLive) return;
  var url = box.getAttribute("data-live-url");
  var events = (box.getAttribute("data-refresh-on") || "").split(",");
  var timer = null;
  var running = false;
  var again = false;

  function refresh() {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null) {
          var doc = new DOMParser().parseFromString(html, "text/html"); // the server escaped it
          box.replaceChildren.apply(box, Array.prototype.slice.call(doc.body.childNodes));
        }
      })
      .catch(function () {})
      .then(function () {
        running = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (!timer) timer = setTimeout(refresh, 1000);
  }

  var opened = false;
  window.kefuLive.onOpen(function () {
    if (opened) schedule();
    opened = true;
  });
  window.kefuLive.on(function (frame) {
    if (frame && events.indexOf(frame.event) !== -1) schedule();
  });
})();
