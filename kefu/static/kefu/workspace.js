// The agent workspace 会话 (no build step). Shares live.js's socket (window.kefuLive).
// Keys: Enter sends, Shift+Enter new line, "/" opens canned replies, Alt+↑/↓ switches chats,
// Esc closes a panel. Drafts are kept per conversation in localStorage (they survive switching and
// reloads); a reply is resent with its key until the server acknowledges it.
(function () {
  "use strict";
  var root = document.getElementById("workspace");
  if (!root || !window.kefuLive) return;
  var live = window.kefuLive;
  var T = JSON.parse(document.getElementById("workspace-strings").textContent);
  var REPLIES = JSON.parse(document.getElementById("canned-replies").textContent);
  var USER_ID = Number(root.dataset.userId);
  var BASE_TITLE = T.title + " · " + document.title.split(" · ").slice(1).join(" · ");
  var TIME = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false });
  var FULL = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

  var chat = null; // {id, lastSeq, el, box, messages}
  var pending = {}; // key → {conversation_id, body, internal}; resent after a reconnect
  var unread = {}; // conversation id → count
  var typingTimer = null, lastTypingSent = 0;

  // --- storage ----------------------------------------------------------------------------------
  function store(key, value) { try { if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function load(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function draftKey(id) { return "kefu.draft." + USER_ID + "." + id; }
  function seenKey(id) { return "kefu.seen." + USER_ID + "." + id; }
  try { pending = JSON.parse(load("kefu.pending." + USER_ID) || "{}") || {}; } catch (e) { pending = {}; }
  function savePending() { store("kefu.pending." + USER_ID, JSON.stringify(pending)); }

  // --- alerts: a tiny WebAudio beep and the title -----------------------------------------------
  var audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "sine"; osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.15, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.3);
    } catch (e) { /* no audio: the title still tells */ }
  }
  function totalUnread() { var n = 0; Object.keys(unread).forEach(function (k) { n += unread[k]; }); return n; }
  function updateTitle() {
    var n = totalUnread();
    document.title = (n ? "(" + n + ") " : "") + BASE_TITLE;
  }
  function paintUnread() {
    document.querySelectorAll(".kefu-conv").forEach(function (item) {
      var id = item.dataset.id, badge = item.querySelector(".kefu-unread");
      var last = Number(item.dataset.lastSeq || 0), seen = Number(load(seenKey(id)) || 0);
      if (!(id in unread) || unread[id] < last - seen) unread[id] = chat && String(chat.id) === id ? 0 : Math.max(last - seen, 0);
      if (!badge) return;
      badge.textContent = unread[id] ? String(unread[id]) : "";
      badge.classList.toggle("d-none", !unread[id]);
      item.classList.toggle("active", !!chat && String(chat.id) === id);
    });
    updateTitle();
  }
  function markSeen() {
    if (!chat) return;
    store(seenKey(chat.id), String(chat.lastSeq));
    unread[chat.id] = 0;
    paintUnread();
  }

  // --- messages ---------------------------------------------------------------------------------
  function messageEl(m, name) {
    var el = document.createElement("div");
    el.className = "kefu-msg kefu-msg-" + m.sender + (m.is_internal ? " kefu-msg-note" : "");
    if (m.seq) el.dataset.seq = m.seq;
    if (m.id) el.dataset.messageId = m.id;
    var meta = document.createElement("div");
    meta.className = "kefu-msg-meta";
    if (m.is_internal) {
      var badge = document.createElement("span");
      badge.className = "badge bg-yellow-lt me-1"; badge.textContent = T.note;
      meta.appendChild(badge);
    }
    var who = m.sender === "visitor" ? name : m.sender === "system" ? T.system : (m.author_name || T.agent);
    var when = m.created_at ? new Date(m.created_at) : new Date();
    var time = document.createElement("time");
    time.dateTime = when.toISOString(); time.title = FULL.format(when); time.textContent = TIME.format(when);
    meta.appendChild(document.createTextNode(who + " · "));
    meta.appendChild(time);
    var body = document.createElement("div");
    body.className = "kefu-msg-body";
    body.textContent = m.body; // never innerHTML: customers type this
    el.appendChild(meta); el.appendChild(body);
    return el;
  }
  function scrollDown() { if (chat) chat.messages.scrollTop = chat.messages.scrollHeight; }
  // An e-mail's subject, sender, attachments and sending state come from the server's rendering of
  // the message (the socket carries the text only). One fetch per message at a time: a change that
  // arrives while one is on its way fetches again after it, and the element is looked up when the
  // answer comes (a push may overtake the message's own first rendering).
  var refreshing = {};
  function refreshMessage(messageId) {
    var id = Number(messageId), conversationId = chat && chat.id;
    if (!conversationId) return;
    if (refreshing[id]) { refreshing[id] = "again"; return; }
    if (!chat.messages.querySelector('[data-message-id="' + id + '"]')) return;
    refreshing[id] = true;
    fetch("/conversations/" + conversationId + "/messages/" + id + "/", { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var el = chat && chat.id === conversationId && chat.messages.querySelector('[data-message-id="' + id + '"]');
        if (!html || !el) return;
        var box = chat.messages, atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
        var template = document.createElement("template");
        template.innerHTML = html.trim(); // the server's rendering, escaped there
        var fresh = template.content.firstElementChild;
        if (!fresh) return;
        el.replaceWith(fresh);
        if (window.htmx) htmx.process(fresh);
        if (atBottom) scrollDown();
      })
      .catch(function () { /* offline: the next change or a reload renders it */ })
      .then(function () {
        var again = refreshing[id] === "again";
        delete refreshing[id];
        if (again) refreshMessage(id);
      });
  }
  function append(m) {
    if (!chat || !m.seq || m.seq <= chat.lastSeq) return false;
    var empty = chat.messages.querySelector(".kefu-no-messages");
    if (empty) empty.remove();
    if (m.key) {
      var mine = chat.messages.querySelector('[data-key="' + CSS.escape(m.key) + '"]');
      if (mine) mine.remove();
    }
    chat.messages.appendChild(messageEl(m, chat.el.dataset.visitorName));
    chat.lastSeq = m.seq;
    scrollDown();
    if (chat.el.dataset.channel === "email" && m.id && !m.is_internal && m.sender !== "system") refreshMessage(m.id);
    if (document.hasFocus()) markSeen();
    return true;
  }
  function showPending(key, p) {
    if (!chat || Number(p.conversation_id) !== chat.id) return;
    if (chat.messages.querySelector('[data-key="' + CSS.escape(key) + '"]')) return;
    var el = messageEl({ sender: "agent", is_internal: p.internal, body: p.body, author_name: root.dataset.agentName + " · " + T.sending });
    el.classList.add("kefu-msg-pending"); el.dataset.key = key;
    chat.messages.appendChild(el);
    scrollDown();
  }

  function newKey() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function send() {
    if (!chat) return;
    var box = chat.box, body = box.value.trim();
    if (!body) return;
    var note = document.getElementById("note-toggle");
    var key = newKey();
    pending[key] = { conversation_id: chat.id, body: body, internal: !!(note && note.checked) };
    savePending();
    showPending(key, pending[key]);
    live.send({ type: "send", conversation_id: chat.id, key: key, body: body, internal: pending[key].internal });
    box.value = "";
    store(draftKey(chat.id), null);
  }
  function resendPending() {
    Object.keys(pending).forEach(function (key) {
      var p = pending[key];
      live.send({ type: "send", conversation_id: p.conversation_id, key: key, body: p.body, internal: p.internal });
    });
  }

  // --- canned replies: "/" in the reply box -----------------------------------------------------
  var menu = { open: false, items: [], index: 0, start: -1 };
  function fill(body) {
    var values = { customer_name: chat.el.dataset.customerName || chat.el.dataset.visitorName, agent_name: chat.el.dataset.agentName };
    return body.replace(/\{(customer_name|agent_name)\}/g, function (all, name) { return values[name] || all; });
  }
  function slashQuery() {
    var box = chat.box, upto = box.value.slice(0, box.selectionStart);
    var match = /(^|\s)\/([^\s\/]*)$/.exec(upto);
    if (!match) return null;
    return { start: upto.length - match[2].length - 1, text: match[2].toLowerCase() };
  }
  function closeMenu() {
    var el = document.getElementById("canned-menu");
    menu.open = false;
    if (el) { el.classList.add("d-none"); el.textContent = ""; }
  }
  function renderMenu() {
    var el = document.getElementById("canned-menu");
    el.textContent = "";
    if (!menu.items.length) {
      var none = document.createElement("div");
      none.className = "list-group-item small text-secondary"; none.textContent = T.no_match;
      el.appendChild(none);
    }
    menu.items.forEach(function (r, i) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "list-group-item list-group-item-action py-1" + (i === menu.index ? " active" : "");
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", i === menu.index ? "true" : "false");
      item.dataset.index = i;
      var head = document.createElement("div");
      var code = document.createElement("code"); code.textContent = "/" + r.shortcut;
      var title = document.createElement("strong"); title.className = "ms-2"; title.textContent = r.title;
      head.appendChild(code); head.appendChild(title);
      if (r.team) { var team = document.createElement("span"); team.className = "badge bg-secondary-lt ms-2"; team.textContent = r.team; head.appendChild(team); }
      var text = document.createElement("div"); text.className = "small text-secondary text-truncate"; text.textContent = fill(r.body);
      item.appendChild(head); item.appendChild(text);
      item.addEventListener("mousedown", function (event) { event.preventDefault(); insertReply(i); });
      el.appendChild(item);
    });
    el.classList.remove("d-none");
    var active = el.querySelector(".active");
    if (active) active.scrollIntoView({ block: "nearest" });
  }
  // Ranked by what was typed after "/" (the shortcut itself, then the start of a shortcut or title,
  // then a title, shortcut or text that contains it) and by the chat: its team's replies and, in a
  // pre-sales chat, the flow's next step first (after-sales chats get the pre-sales flow last).
  function contextOf() {
    var teams = (chat.el.dataset.team || root.dataset.teams || "").split(",").filter(Boolean).map(Number);
    var done = {};
    chat.el.querySelectorAll("[data-step]").forEach(function (box) { if (box.checked) done[box.dataset.shortcut] = true; });
    var next = null;
    chat.el.querySelectorAll("[data-step]").forEach(function (box) { if (!next && !done[box.dataset.shortcut]) next = box.dataset.shortcut; });
    return { teams: teams, presales: chat.el.dataset.presales === "1", next: next, done: done };
  }
  function rank(r, text, ctx) {
    var s = r.shortcut.toLowerCase(), t = r.title.toLowerCase(), b = r.body.toLowerCase(), match;
    if (!text) match = 0;
    else if (s === text) match = 100;
    else if (s.indexOf(text) === 0) match = 80;
    else if (t.indexOf(text) === 0) match = 70;
    else if (t.indexOf(text) >= 0) match = 60;
    else if (s.indexOf(text) >= 0) match = 50;
    else if (b.indexOf(text) >= 0) match = 40;
    else return null;
    var context = 0;
    if (r.team_id && ctx.teams.indexOf(r.team_id) >= 0) context += 4;
    if (ctx.presales) {
      if (r.shortcut === ctx.next) context += 8;
      else if (ctx.done[r.shortcut]) context -= 2;
      if (r.category === "presales" || r.category === "opening") context += 3;
    } else if (r.category === "presales") {
      context -= 6;
    }
    return match + context;
  }
  function updateMenu() {
    var q = chat && chat.box ? slashQuery() : null;
    if (!q) { closeMenu(); return; }
    var ctx = contextOf(), ranked = [];
    REPLIES.forEach(function (r, order) {
      var score = rank(r, q.text, ctx);
      if (score !== null) ranked.push({ r: r, score: score, order: order });
    });
    ranked.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    menu.items = ranked.slice(0, 30).map(function (x) { return x.r; });
    menu.start = q.start;
    if (!menu.open) menu.index = 0;
    menu.index = Math.min(menu.index, Math.max(menu.items.length - 1, 0));
    menu.open = true;
    renderMenu();
  }
  function insertReply(i) {
    var r = menu.items[i];
    if (!r || !chat) return;
    var box = chat.box, value = box.value, caret = box.selectionStart;
    var text = fill(r.body);
    box.value = value.slice(0, menu.start) + text + value.slice(caret);
    closeMenu();
    box.focus();
    box.setSelectionRange(menu.start + text.length, menu.start + text.length);
    store(draftKey(chat.id), box.value);
    tickStep(r.shortcut);
  }

  // --- pre-sales checklist: each tick is stored with the conversation (services/presales.py) -----
  var CSRF = (function () { try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"]; } catch (e) { return ""; } })();
  function saveStep(box, done) {
    var list = box.closest("[data-url]");
    if (!list) return;
    var body = new URLSearchParams({ step: box.dataset.step, done: done ? "1" : "0" });
    fetch(list.dataset.url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": CSRF, "HX-Request": "true" } })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (answer) {
        if (!answer.ok) { box.checked = !done; live.toast(answer.data.error || T.not_sent, "error"); return; }
        box.checked = !!answer.data.done;
      })
      .catch(function () { box.checked = !done; live.toast(T.offline, "error"); });
  }
  function tickStep(shortcut) {
    var box = chat && chat.el.querySelector('[data-shortcut="' + CSS.escape(shortcut) + '"]');
    if (!box || box.checked || box.disabled) return;
    box.checked = true;
    saveStep(box, true);
  }

  // --- the open conversation --------------------------------------------------------------------
  function setupChat() {
    closeMenu();
    var el = document.getElementById("chat-root");
    if (chat && (!el || Number(el.dataset.conversation) !== chat.id)) live.send({ type: "leave", conversation_id: chat.id });
    if (!el) { chat = null; paintUnread(); return; }
    chat = { id: Number(el.dataset.conversation), lastSeq: Number(el.dataset.lastSeq), el: el,
             box: document.getElementById("reply-box"), messages: document.getElementById("messages") };
    if (chat.box) {
      var draft = load(draftKey(chat.id));
      if (draft) chat.box.value = draft;
      chat.box.focus();
    }
    var note = document.getElementById("note-toggle");
    if (note) { note.closest("form").classList.toggle("kefu-noting", note.checked); }
    Object.keys(pending).forEach(function (key) { showPending(key, pending[key]); });
    scrollDown();
    markSeen();
    live.send({ type: "join", conversation_id: chat.id, last_seq: chat.lastSeq });
  }

  function openConversation(item) {
    if (!item || !window.htmx) return;
    htmx.ajax("GET", item.getAttribute("hx-get"), { target: "#chat", swap: "innerHTML" });
    history.pushState({}, "", item.getAttribute("hx-push-url"));
  }
  function switchChat(step) {
    var items = Array.prototype.slice.call(document.querySelectorAll(".kefu-conv"));
    if (!items.length) return;
    var at = chat ? items.findIndex(function (i) { return Number(i.dataset.id) === chat.id; }) : -1;
    var next = items[(at + step + items.length) % items.length];
    if (at === -1) next = items[step > 0 ? 0 : items.length - 1];
    openConversation(next);
  }

  function refreshChat() {
    if (chat && window.htmx) htmx.ajax("GET", "/conversations/" + chat.id + "/", { target: "#chat", swap: "innerHTML" });
  }
  function handedOver(data) {
    var pane = document.getElementById("chat");
    var text = T.handed_over.replace("%(id)s", data.conversation_id).replace("%(name)s", data.assignee_name || "");
    live.send({ type: "leave", conversation_id: chat.id });
    chat = null;
    var card = document.createElement("div"); card.className = "card kefu-empty-chat h-100";
    var body = document.createElement("div"); body.className = "card-body d-flex flex-column justify-content-center align-items-center text-center";
    body.dataset.testid = "handed-over";
    var line = document.createElement("p"); line.className = "mb-1"; line.dataset.testid = "handed-over-line"; line.textContent = text;
    body.appendChild(line); card.appendChild(body);
    pane.textContent = ""; pane.appendChild(card);
    paintUnread();
  }
  function refreshLists() { document.body.dispatchEvent(new CustomEvent("kefu:lists")); }

  // --- socket frames ----------------------------------------------------------------------------
  live.on(function (data) {
    switch (data.event) {
      case "joined":
        if (chat && data.conversation_id === chat.id) {
          // Messages caught up here (after an ack, a reconnect) may hold the customer's newest words,
          // which then come by no push: the assist panel looks again for them too.
          var heard = (data.messages || []).filter(function (m) { return append(m) && m.sender === "visitor"; });
          if (heard.length) document.body.dispatchEvent(new CustomEvent("kefu:customer-message"));
        }
        break;
      case "ack":
        if (pending[data.key]) { delete pending[data.key]; savePending(); }
        if (chat && data.conversation_id === chat.id) {
          var sent = chat.messages.querySelector('[data-key="' + CSS.escape(data.key) + '"]');
          if (sent) sent.remove();
          // The stored message (and anything before it) comes back from the server, once.
          if (data.seq > chat.lastSeq) live.send({ type: "join", conversation_id: chat.id, last_seq: chat.lastSeq });
        }
        break;
      case "error":
        if (data.key && pending[data.key]) {
          var failed = chat && chat.messages.querySelector('[data-key="' + CSS.escape(data.key) + '"]');
          if (failed) { failed.classList.remove("kefu-msg-pending"); failed.classList.add("kefu-msg-failed"); }
          if (chat && chat.box && !chat.box.value) chat.box.value = pending[data.key].body; // nothing typed is lost
          delete pending[data.key]; savePending();
        }
        live.toast(T.not_sent + " " + data.message, "error");
        break;
      case "conversations.message":
        var m = data.message, id = data.conversation_id;
        if (chat && id === chat.id) {
          if (append(m) && m.sender === "visitor") document.body.dispatchEvent(new CustomEvent("kefu:customer-message"));  // the assist panel looks again
          if (m.sender === "visitor") { document.getElementById("typing").textContent = ""; if (!document.hasFocus()) { unread[id] = (unread[id] || 0) + 1; beep(); updateTitle(); } }
        } else if (m.sender !== "system" && !(m.author_id === USER_ID)) {
          unread[id] = (unread[id] || 0) + 1;
          if (m.sender === "visitor") beep();
          var item = document.querySelector('.kefu-conv[data-id="' + id + '"]');
          if (item) item.dataset.lastSeq = m.seq;
          paintUnread();
        }
        break;
      case "conversations.email_reply_state":
        if (chat && data.conversation_id === chat.id) refreshMessage(data.message_id);
        break;
      case "conversations.typing":
        if (chat && data.conversation_id === chat.id && data.sender === "visitor") {
          var typing = document.getElementById("typing");
          typing.textContent = T.typing.replace("%(name)s", chat.el.dataset.visitorName);
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
        }
        break;
      case "conversations.assigned":
        if (data.assignee_id === USER_ID && data.previous_assignee_id !== USER_ID) {
          beep();
          live.toast(T.assigned.replace("%(id)s", data.conversation_id), "info");
          unread[data.conversation_id] = unread[data.conversation_id] || 1;
        }
        refreshLists();
        if (chat && data.conversation_id === chat.id) {
          // Handed to a colleague: an agent may no longer open it (a refresh would find nothing);
          // the pane says where it went. Supervisors see every chat and get it fresh.
          if (data.previous_assignee_id === USER_ID && data.assignee_id !== USER_ID && chat.el.dataset.supervisor !== "1") handedOver(data);
          else refreshChat();
        }
        break;
      case "conversations.requeued":
      case "conversations.started":
        refreshLists();
        if (chat && data.conversation_id === chat.id) refreshChat();
        break;
      case "conversations.closed":
        refreshLists();
        if (chat && data.conversation_id === chat.id) refreshChat();
        break;
    }
  });
  live.onOpen(function () {
    if (chat) live.send({ type: "join", conversation_id: chat.id, last_seq: chat.lastSeq });
    resendPending();
  });

  // --- events -----------------------------------------------------------------------------------
  // A lost race (409: someone else took the chat first) still shows the chat as it now is.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 409 && event.detail.target && event.detail.target.id === "chat") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "chat") setupChat();
    if (event.detail.target.id === "lists") paintUnread();
  });
  document.body.addEventListener("kefu:toast", function (event) {
    live.toast(event.detail.text, event.detail.level);
  });
  window.addEventListener("popstate", function () { location.reload(); });
  window.addEventListener("focus", markSeen);

  document.addEventListener("input", function (event) {
    if (!chat || event.target !== chat.box) return;
    store(draftKey(chat.id), chat.box.value || null);
    updateMenu();
    var now = Date.now();
    if (now - lastTypingSent > 2000 && chat.box.value) {
      lastTypingSent = now;
      live.send({ type: "typing", conversation_id: chat.id });
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "note-toggle") event.target.closest("form").classList.toggle("kefu-noting", event.target.checked);
    if (event.target.dataset && event.target.dataset.step && chat) saveStep(event.target, event.target.checked);
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id === "reply-form") { event.preventDefault(); send(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      switchChat(event.key === "ArrowUp" ? -1 : 1);
      return;
    }
    if (event.key === "Escape") {
      if (menu.open) { closeMenu(); event.preventDefault(); return; }
      var panel = document.querySelector("details.kefu-panel[open]");
      if (panel) { panel.open = false; event.preventDefault(); if (chat && chat.box) chat.box.focus(); }
      return;
    }
    if (!chat || event.target !== chat.box || event.isComposing) return; // IME composing: Enter picks the word
    if (menu.open && menu.items.length) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        menu.index = (menu.index + (event.key === "ArrowDown" ? 1 : -1) + menu.items.length) % menu.items.length;
        renderMenu();
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); insertReply(menu.index); return; }
    }
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
  });
  document.addEventListener("click", function (event) {
    // One panel open at a time; a click outside closes it.
    document.querySelectorAll("details.kefu-panel[open]").forEach(function (panel) {
      if (!panel.contains(event.target)) panel.open = false;
    });
  });

  setupChat();
  paintUnread();
})();
