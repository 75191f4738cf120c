// Live updates for signed-in pages: one socket to /ws/agent/, reconnecting with back-off.
// Notifications update the bell's count and show a toast; the page itself stays as it is.
(function () {
  "use strict";
  var delay = 1000;

  function toast(text, link) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-info";
    alert.setAttribute("role", "status");
    var anchor = document.createElement(link ? "a" : "span");
    anchor.textContent = text; // never innerHTML: titles carry what customers typed
    if (link && link.charAt(0) === "/" && link.charAt(1) !== "/") anchor.href = link;
    alert.appendChild(anchor);
    box.appendChild(alert);
    setTimeout(function () { alert.remove(); }, 8000);
  }

  function setUnread(count) {
    var badge = document.getElementById("unread-count");
    if (!badge) return;
    badge.textContent = String(count);
    badge.classList.toggle("d-none", !count);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/agent/");
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.event === "notification") {
        setUnread(data.unread);
        toast(data.title, data.link);
      }
    };
    socket.onclose = function (event) {
      if (event.code === 4401) return; // signed out or second factor missing: do not retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  if ("WebSocket" in window) connect();
})();
