// Live updates for signed-in pages: one socket to /ws/agent/, reconnecting with back-off.
// Notifications update the bell's count and show a toast; the page itself stays as it is.
// Other scripts (the workspace) share this one socket through window.kefuLive:
//   kefuLive.on(function (frame) {...})   every frame received
//   kefuLive.onOpen(function () {...})    each (re)connection, after the server's hello
//   kefuLive.send(frame) → true when it went out (false while disconnected)
//   kefuLive.toast(text, level)           level: success | info | error
(function () {
  "use strict";
  var delay = 1000;
  var refusedBefore = false; // the last socket was closed with 4401 before any hello
  var socket = null;
  var ready = false;
  var listeners = [];
  var openers = [];

  function toast(text, link, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-" + ({ error: "danger", success: "success" }[level] || "info");
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

  function safeLink(link) {
    return typeof link === "string" && link.charAt(0) === "/" && link.charAt(1) !== "/";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text); // never innerHTML
    return node;
  }

  // A ringing call: the caller's customer card, until dismissed (来电弹屏).
  function incomingCall(data) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var labels = box.dataset;
    var card = el("div", "card shadow-sm mb-2 kefu-incoming-call");
    card.setAttribute("role", "alert");
    card.setAttribute("data-call-id", String(data.call_id));
    var body = el("div", "card-body p-3");
    body.appendChild(el("div", "text-secondary small", (labels.incomingCall || "Incoming call") + " · " + (data.number || "")));
    var c = data.customer;
    if (c) {
      var title = el("div", "h3 mb-1");
      var name = el(safeLink(c.url) ? "a" : "span", "", c.name);
      if (safeLink(c.url)) name.href = c.url;
      title.appendChild(name);
      title.appendChild(el("span", "badge bg-azure-lt ms-2", c.level_label || c.level));
      body.appendChild(title);
      if (c.mobile) body.appendChild(el("div", "small", c.mobile));
      body.appendChild(el("div", "small", (labels.openTickets || "Open tickets") + ": " + c.open_tickets));
    } else {
      body.appendChild(el("div", "h3 mb-1", labels.unknownCaller || "Unknown caller"));
    }
    var actions = el("div", "mt-2 d-flex gap-2");
    if (safeLink(data.call_url)) {
      var open = el("a", "btn btn-sm btn-primary", labels.openCall || "Open the call");
      open.href = data.call_url;
      actions.appendChild(open);
    }
    var close = el("button", "btn btn-sm", labels.dismiss || "Dismiss");
    close.type = "button";
    close.addEventListener("click", function () { card.remove(); });
    actions.appendChild(close);
    body.appendChild(actions);
    card.appendChild(body);
    box.appendChild(card);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/agent/");
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.event === "hello") {
        ready = true;
        refusedBefore = false;
        openers.forEach(function (fn) { try { fn(); } catch (e) { console.error(e); } });
      }
      if (data.event === "notification") {
        setUnread(data.unread);
        toast(data.title, data.link);
      } else if (data.event === "telephony.incoming_call") {
        incomingCall(data);
      }
      listeners.forEach(function (fn) { try { fn(data); } catch (e) { console.error(e); } });
    };
    socket.onclose = function (event) {
      ready = false;
      // 4401: signed out, deactivated, second factor missing, or the session's standing changed (a new
      // role, a new session key after a password change). One more try picks up a session that still
      // holds (the browser's cookie is current); a second refusal in a row stops.
      if (event.code === 4401) {
        if (refusedBefore) return;
        refusedBefore = true;
        setTimeout(connect, 2000);
        return;
      }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  window.kefuLive = {
    on: function (fn) { listeners.push(fn); },
    onOpen: function (fn) { openers.push(fn); if (ready) fn(); },
    send: function (frame) {
      if (!socket || !ready || socket.readyState !== 1) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
    isOpen: function () { return ready; },
    toast: function (text, level) { toast(text, null, level); },
  };

  if ("WebSocket" in window) connect();
})();
