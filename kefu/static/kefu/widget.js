/* kefu 客服 chat widget. Plain ES2017, no build step, nothing loaded from anywhere but kefu itself.
 *
 *   <script src="https://kefu-host/static/kefu/widget.js" data-inbox="WIDGET_KEY" async></script>
 *
 * Optional: data-user-id + data-user-hmac (a user the site vouches for: hex HMAC-SHA256 of the id
 * with the inbox secret, computed on the site's server), data-lang="en"; or the same as
 * window.kefuSettings = {inbox, userId, userHmac, lang}.
 *
 * Delivery (kefu/realtime/visitor.py): every message carries an idempotency key and stays in
 * localStorage until the server acknowledges it; after any reconnect the widget says hello with the
 * last sequence number it has shown, renders the replay (deduplicated by seq) and resends what was
 * never acknowledged. Everything typed by anybody is rendered with textContent, never as HTML.
 */
(function () {
  "use strict";

  var STRINGS = {
    zh: {
      button: "在线客服", title: "在线客服", close: "收起", end: "结束会话", send: "发送",
      placeholder: "请输入消息，Enter 发送", image: "发送图片", connecting: "正在连接…",
      reconnecting: "网络已断开，正在重新连接…", greeting: "您好，欢迎咨询！请问有什么可以帮您？",
      waiting: "正在为您转接客服…", queue: "您前面还有 {n} 位，请稍候", queueFirst: "马上为您接入客服，请稍候",
      serving: "客服 {name} 为您服务", ended: "本次会话已结束", typing: "客服正在输入…",
      pending: "发送中", failed: "未发送，将在恢复连接后自动重发", you: "我", agent: "客服", system: "系统",
      imageUploading: "图片上传中…", imageFailed: "图片发送失败：{reason}", imageLoading: "[图片加载中]",
      imageError: "[图片无法显示]", imageTooLarge: "图片不能超过 {mb} MB", rateTitle: "请为本次服务评分", rated: "感谢您的评价！",
      surveyTitle: "欢迎参加满意度调查，帮助我们改进服务。", surveyLink: "填写问卷",
      star: "{n} 星：{level}", levels: ["非常不满意", "不满意", "一般", "满意", "非常满意"],
      offlineTitle: "客服暂时不在线，请留言", offlineHint: "留下联系方式，我们上班后会尽快联系您。",
      offlineHours: "客服工作时间 {hours}。留下联系方式，我们上班后会尽快联系您。",
      name: "您的称呼", contact: "手机号或邮箱", message: "留言内容", submit: "提交留言",
      offlineDone: "留言已收到（编号 {number}），我们会尽快联系您。", refused: "此网站未开通在线客服。",
      error: "出错了，请稍后再试。", newChat: "发起新的咨询", unread: "{n} 条新消息",
      unavailable: "在线客服暂时无法连接，请留言，我们会尽快联系您。",
      feedback: "反馈问题", feedbackTitle: "反馈问题或BUG，处理结果会通知您", kind: "类型",
      kinds: { bug: "故障/BUG", feature: "建议", content: "内容或数据错误", performance: "卡顿或很慢", other: "其他" },
      fbTitle: "问题标题", fbSteps: "问题描述（怎样出现的）", fbVersion: "版本号（选填）", fbSubmit: "提交反馈",
      fbDone: "反馈已收到（编号 {number}），处理结果会通知您。", back: "返回聊天",
      selfHelp: "这些答案也许能帮到您：", solved: "这解决了我的问题", person: "转人工客服",
      solvedThanks: "很高兴帮到您！如还有问题，随时发消息给我们。", personWait: "好的，正在为您转接人工客服。",
    },
    en: {
      button: "Chat with us", title: "Customer service", close: "Minimise", end: "End chat", send: "Send",
      placeholder: "Type a message, Enter to send", image: "Send an image", connecting: "Connecting…",
      reconnecting: "Connection lost, reconnecting…", greeting: "Hello! How can we help you?",
      waiting: "Finding an agent for you…", queue: "{n} ahead of you, please wait", queueFirst: "You are next, please wait",
      serving: "{name} is serving you", ended: "This chat has ended", typing: "The agent is typing…",
      pending: "Sending", failed: "Not sent yet; it will be resent when the connection is back", you: "Me",
      agent: "Agent", system: "System", imageUploading: "Uploading image…", imageFailed: "The image was not sent: {reason}",
      imageLoading: "[loading image]", imageError: "[the image cannot be shown]", imageTooLarge: "images can be at most {mb} MB", rateTitle: "How did we do?",
      rated: "Thank you for your rating!", star: "{n} stars: {level}",
      surveyTitle: "Please take our satisfaction survey and help us improve.", surveyLink: "Take the survey",
      levels: ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
      offlineTitle: "Nobody is online; leave us a message",
      offlineHint: "Leave your contact details and we will get back to you soon.",
      offlineHours: "We answer chats {hours}. Leave your contact details and we will get back to you soon.", name: "Your name",
      contact: "Phone or e-mail", message: "Message", submit: "Send message",
      offlineDone: "Message received (number {number}); we will contact you soon.",
      refused: "Chat is not enabled for this site.", error: "Something went wrong; please try again later.",
      newChat: "Start a new chat", unread: "{n} new messages",
      unavailable: "Live chat is unavailable right now. Leave us a message and we will get back to you.",
      feedback: "Report a problem", feedbackTitle: "Report a problem or a bug; we will tell you the result", kind: "Kind",
      kinds: { bug: "Bug", feature: "Suggestion", content: "Wrong content or data", performance: "Slow or stuck", other: "Other" },
      fbTitle: "Short title", fbSteps: "What happened (steps)", fbVersion: "Version (optional)", fbSubmit: "Send report",
      fbDone: "Report received (number {number}); we will tell you the result.", back: "Back to the chat",
      selfHelp: "These answers may help:", solved: "This solved it", person: "Talk to a person",
      solvedThanks: "Glad it helped! Write to us any time.", personWait: "All right, finding a person for you.",
    },
  };

  var IMAGE_BODY = /^\[图片\] (\/widget\/images\/[A-Za-z0-9]+\/)$/;
  var TYPING_EVERY_MS = 3000;
  var TYPING_SHOWN_MS = 4000;
  var QUEUE_POLL_MS = 20000;
  var UNAVAILABLE_RETRY_MS = 4000; // the server could not reach its live-update service: try again soon
  var CLOSE_UNAVAILABLE = 4503;

  var script = document.currentScript || (function () {
    var found = document.querySelectorAll("script[data-inbox]");
    return found[found.length - 1];
  })();
  var settings = window.kefuSettings || {};
  var data = (script && script.dataset) || {};
  var inboxKey = settings.inbox || data.inbox;
  if (!inboxKey || !script || window.__kefuWidget) return;
  window.__kefuWidget = true;
  var lang = (settings.lang || data.lang) === "en" ? "en" : "zh";
  var T = STRINGS[lang];
  var userId = settings.userId || data.userId;
  var userHmac = settings.userHmac || data.userHmac;
  var base = new URL(script.src, location.href);
  var httpBase = base.origin;
  var wsBase = httpBase.replace(/^http/, "ws");
  var prefix = "kefu:" + inboxKey + ":";

  function t(name, values) {
    return T[name].replace(/\{(\w+)\}/g, function (_m, k) { return values && k in values ? String(values[k]) : ""; });
  }

  // --- storage (a page that blocks localStorage still chats, it just forgets on reload) ----------
  var memory = {};
  function load(name, fallback) {
    try {
      var raw = window.localStorage.getItem(prefix + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) { return name in memory ? memory[name] : fallback; }
  }
  function save(name, value) {
    memory[name] = value;
    try { window.localStorage.setItem(prefix + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // --- DOM helpers: text only ------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  // A picture icon drawn here: no icon font, no image request to any other host.
  function pictureIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    [["rect", { x: "3", y: "5", width: "18", height: "14", rx: "2", fill: "none", stroke: "currentColor", "stroke-width": "2" }],
      ["circle", { cx: "9", cy: "10", r: "1.8", fill: "currentColor" }],
      ["path", { d: "M5 17l5-5 3 3 2-2 4 4", fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linejoin": "round" }]]
      .forEach(function (spec) {
        var shape = document.createElementNS(ns, spec[0]);
        Object.keys(spec[1]).forEach(function (k) { shape.setAttribute(k, spec[1][k]); });
        svg.appendChild(shape);
      });
    return svg;
  }

  var CSS = [
    ":host{all:initial}",
    "[hidden]{display:none!important}",
    "*{box-sizing:border-box;font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;background:#1f6feb;color:#fff;",
    "padding:0 20px;height:52px;font-size:15px;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.25);display:flex;align-items:center;gap:6px}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
    ".badge{background:#d1242f;color:#fff;border-radius:10px;font-size:12px;padding:1px 7px}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:370px;height:580px;max-height:calc(100vh - 104px);",
    "background:#fff;color:#1f2328;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;font-size:14px}",
    ".panel[hidden]{display:none}",
    "header{background:#1f6feb;color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}",
    "header .titles{flex:1;min-width:0}",
    "header h2{margin:0;font-size:16px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    "header .status{font-size:12px;opacity:.95;margin-top:2px}",
    "header button{background:transparent;color:#fff;border:1px solid rgba(255,255,255,.6);border-radius:6px;padding:4px 8px;font-size:12px;cursor:pointer}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f6f8fa;display:flex;flex-direction:column;gap:8px}",
    ".msg{max-width:80%;padding:8px 11px;border-radius:10px;line-height:1.5;white-space:pre-wrap;word-break:break-word}",
    ".msg .who{display:block;font-size:11px;color:#57606a;margin-bottom:2px}",
    ".msg.visitor{align-self:flex-end;background:#1f6feb;color:#fff}",
    ".msg.visitor .who{color:#dbe9ff}",
    ".msg.agent{align-self:flex-start;background:#fff;border:1px solid #d0d7de}",
    ".msg.system,.note{align-self:center;background:transparent;color:#57606a;font-size:12px;text-align:center}",
    ".msg.pending{opacity:.7}",
    ".msg .state{display:block;font-size:11px;margin-top:2px;opacity:.9}",
    ".msg img{display:block;max-width:100%;max-height:240px;border-radius:6px}",
    ".typing{font-size:12px;color:#57606a;padding:0 14px;height:18px}",
    "form.compose{display:flex;gap:6px;padding:8px;border-top:1px solid #d0d7de;align-items:flex-end}",
    "textarea{flex:1;resize:none;height:40px;max-height:120px;border:1px solid #8c959f;border-radius:8px;padding:8px;font-size:14px}",
    ".send{background:#1f6feb;color:#fff;border:0;border-radius:8px;height:40px;padding:0 14px;cursor:pointer;font-size:14px}",
    ".attach{background:#fff;border:1px solid #8c959f;border-radius:8px;height:40px;width:40px;cursor:pointer;color:#1f2328;display:flex;align-items:center;justify-content:center}",
    ".visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".rating,.offline{padding:12px;border-top:1px solid #d0d7de;background:#fff}",
    ".rating p,.offline p{margin:0 0 8px}",
    ".stars{display:flex;gap:4px}",
    ".stars button{background:#fff;border:1px solid #d0d7de;border-radius:6px;font-size:22px;color:#bf8700;cursor:pointer;padding:2px 8px}",
    ".offline{flex:1;overflow-y:auto}",
    ".offline label{display:block;font-size:13px;margin:8px 0 4px}",
    ".offline input,.offline textarea,.offline select{width:100%;border:1px solid #8c959f;border-radius:6px;padding:8px;font-size:14px}",
    ".offline textarea{height:100px}",
    ".offline .send{margin-top:10px;width:100%}",
    ".error{color:#d1242f;font-size:13px;margin-top:6px}",
    ".selfhelp{border-top:1px solid #d0d7de;background:#fff;padding:8px 12px;max-height:45%;overflow-y:auto}",
    ".selfhelp p{margin:0 0 6px;font-size:13px;color:#57606a}",
    ".selfhelp .answer{border:1px solid #d0d7de;border-radius:8px;padding:8px;margin-bottom:6px}",
    ".selfhelp .answer h3{margin:0 0 4px;font-size:14px}",
    ".selfhelp .answer div{white-space:pre-wrap;word-break:break-word;font-size:13px;line-height:1.5}",
    ".selfhelp button{margin-top:6px;background:#fff;border:1px solid #1f6feb;color:#1f6feb;border-radius:6px;padding:4px 10px;cursor:pointer;font-size:13px}",
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;max-height:none;border-radius:0}",
    ".launcher{right:12px;bottom:12px}}",
  ].join("");

  // --- the interface -----------------------------------------------------------------------------
  var host = el("div", { id: "kefu-widget", "data-kefu": "widget" });
  var root = host.attachShadow({ mode: "open" });
  // A constructed style sheet is not an inline <style>: it works on sites whose own
  // Content-Security-Policy allows no inline styles (docs/chat-widget.md). Older browsers: <style>.
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", { text: CSS }));
  }

  var badge = el("span", { className: "badge", hidden: "" });
  var launcher = el("button", { className: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "kefu-panel" },
    [el("span", { text: T.button }), badge]);
  var statusLine = el("div", { className: "status", role: "status", "aria-live": "polite", text: T.connecting });
  var titleLine = el("h2", { id: "kefu-title", text: T.title });
  var endButton = el("button", { type: "button", text: T.end, hidden: "" });
  var feedbackButton = el("button", { type: "button", text: T.feedback, "aria-controls": "kefu-feedback", "aria-expanded": "false" });
  var closeButton = el("button", { type: "button", text: T.close, "aria-label": T.close });
  var log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-labelledby": "kefu-title" });
  var typingLine = el("div", { className: "typing", "aria-live": "polite" });
  var input = el("textarea", { id: "kefu-input", placeholder: T.placeholder, rows: "1", maxlength: "5000" });
  var fileInput = el("input", { type: "file", accept: "image/png,image/jpeg,image/gif,image/webp", className: "visually-hidden", id: "kefu-file", tabindex: "-1" });
  var attachButton = el("button", { type: "button", className: "attach", "aria-label": T.image, title: T.image }, [pictureIcon()]);
  var sendButton = el("button", { type: "submit", className: "send", text: T.send });
  var compose = el("form", { className: "compose" },
    [el("label", { className: "visually-hidden", for: "kefu-input", text: T.placeholder }), attachButton, fileInput, input, sendButton]);
  var ratingBox = el("div", { className: "rating", hidden: "" });
  var surveyBox = el("div", { className: "rating", hidden: "", "data-kefu": "survey" });
  var offlineBox = el("div", { className: "offline", hidden: "" });
  var feedbackBox = el("div", { className: "offline", id: "kefu-feedback", hidden: "" });
  var feedbackOpen = false;
  var selfHelpBox = el("div", { className: "selfhelp", hidden: "", "data-kefu": "self-help" });
  var panel = el("div", { className: "panel", id: "kefu-panel", role: "dialog", "aria-labelledby": "kefu-title", hidden: "" }, [
    el("header", {}, [el("div", { className: "titles" }, [titleLine, statusLine]), feedbackButton, endButton, closeButton]),
    log, typingLine, ratingBox, surveyBox, offlineBox, feedbackBox, selfHelpBox, compose,
  ]);
  root.appendChild(launcher);
  root.appendChild(panel);

  // --- state ---------------------------------------------------------------------------------------
  var token = load("token", null);
  var conversationId = load("conversation", null);
  var outbox = load("outbox", []); // [{key, body}] sent but not acknowledged, oldest first
  var ratedIds = load("rated", []);
  var survey = null; // {conversationId, url}: the survey offered after the chat ended
  var socket = null;
  var ready = false; // welcome received on the current socket
  var retries = 0;
  var retryTimer = null;
  var refused = false;
  var unavailable = false; // the server said live chat cannot run now: the message form is offered
  var lastSeq = 0; // the highest seq rendered
  var bySeq = {}; // seq → bubble
  var byKey = {}; // key → pending bubble (ours, not acknowledged)
  var state = null; // waiting | open | closed | null
  var agentName = "";
  var queuePosition = null;
  var online = null; // someone on duty (config)
  var maxImageBytes = 0; // from config; larger images are refused here, before uploading
  var hours = ""; // the inbox team's working hours (config), named by the message form
  var isOpen = false;
  var unread = 0;
  var lastTypingSent = 0;
  var typingTimer = null;
  var queueTimer = null;
  var greeted = false;

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function setStatus() {
    var text;
    if (refused) text = T.refused;
    else if (unavailable) text = T.unavailable;
    else if (!ready) text = retries > 0 ? T.reconnecting : T.connecting;
    else if (state === "open") text = t("serving", { name: agentName || T.agent });
    else if (state === "waiting") text = queuePosition > 1 ? t("queue", { n: queuePosition - 1 }) : queuePosition === 1 ? T.queueFirst : T.waiting;
    else if (state === "closed") text = T.ended;
    else text = "";
    statusLine.textContent = text;
    endButton.hidden = !(ready && (state === "open" || state === "waiting"));
    if (state === "open" || state === "closed") selfHelpBox.hidden = true; // a person has it now
    var showOffline = unavailable || (ready && online === false && state !== "open" && state !== "waiting" && !outbox.length);
    offlineBox.hidden = !showOffline || feedbackOpen;
    compose.hidden = showOffline || feedbackOpen;
    log.hidden = feedbackOpen;
    feedbackBox.hidden = !feedbackOpen;
    feedbackButton.textContent = feedbackOpen ? T.back : T.feedback;
    feedbackButton.setAttribute("aria-expanded", String(feedbackOpen));
    if (showOffline && !offlineBox.firstChild) buildOfflineForm();
    if (offlineTitle) offlineTitle.textContent = unavailable ? T.unavailable : T.offlineTitle;
    if (offlineHint) offlineHint.hidden = unavailable; // "after work" does not fit an outage
    var canRate = state === "closed" && conversationId && agentName && ratedIds.indexOf(conversationId) < 0;
    ratingBox.hidden = !canRate;
    if (canRate && !ratingBox.firstChild) buildRating();
    surveyBox.hidden = !(state === "closed" && survey && survey.conversationId === conversationId);
    clearInterval(queueTimer);
    if (ready && state === "waiting") queueTimer = setInterval(function () { sendFrame({ type: "queue" }); }, QUEUE_POLL_MS);
  }

  function note(text) {
    var n = el("div", { className: "note", text: text });
    log.appendChild(n);
    scrollDown();
    return n;
  }

  function greet() {
    if (greeted) return;
    greeted = true;
    log.insertBefore(el("div", { className: "msg agent greeting" }, [el("span", { className: "who", text: T.agent }), document.createTextNode(greetingText)]), log.firstChild);
  }
  var greetingText = T.greeting;

  function bubble(sender, whoText) {
    var b = el("div", { className: "msg " + sender });
    b.appendChild(el("span", { className: "who", text: whoText }));
    b.appendChild(el("span", { className: "body" }));
    return b;
  }

  function setBody(b, body) {
    var holder = b.querySelector(".body");
    holder.textContent = "";
    var image = IMAGE_BODY.exec(body || "");
    if (!image) { holder.textContent = body; return; }
    holder.textContent = T.imageLoading;
    fetch(httpBase + image[1], { headers: token ? { "X-Kefu-Token": token } : {}, mode: "cors", credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.blob(); })
      .then(function (blob) {
        var img = el("img", { alt: T.image });
        img.src = URL.createObjectURL(blob);
        holder.textContent = "";
        holder.appendChild(img);
        img.addEventListener("load", scrollDown);
      })
      .catch(function () { holder.textContent = T.imageError; });
  }

  function setPending(b, pending, failed) {
    b.classList.toggle("pending", pending);
    var s = b.querySelector(".state");
    if (!pending) { if (s) s.remove(); return; }
    if (!s) { s = el("span", { className: "state" }); b.appendChild(s); }
    s.textContent = failed ? T.failed : T.pending;
  }

  function whoOf(m) {
    if (m.sender === "visitor") return T.you;
    if (m.sender === "system") return T.system;
    return m.author_name || T.agent;
  }

  // A message from the server (replay or push): shown once per seq.
  function render(m) {
    if (!m || typeof m.seq !== "number" || bySeq[m.seq]) return;
    var b = null;
    if (m.sender === "visitor") {
      // Our own message pushed back before its ack: it is the oldest pending bubble with this text.
      var keys = Object.keys(byKey);
      for (var i = 0; i < keys.length; i++) {
        var cand = byKey[keys[i]];
        if (!cand.dataset.seq && cand.dataset.text === m.body) { b = cand; break; }
      }
    }
    if (!b) {
      b = bubble(m.sender === "visitor" ? "visitor" : m.sender === "system" ? "system" : "agent", whoOf(m));
      setBody(b, m.body);
      insertBySeq(b, m.seq);
    } else {
      setPending(b, false);
    }
    b.dataset.seq = String(m.seq);
    bySeq[m.seq] = b;
    if (m.seq > lastSeq) lastSeq = m.seq;
    if (m.sender === "agent") {
      typingLine.textContent = "";
      if (!isOpen) { unread += 1; showUnread(); }
    }
    scrollDown();
  }

  function insertBySeq(b, seq) {
    b.dataset.seq = String(seq);
    var nodes = log.querySelectorAll(".msg[data-seq]");
    for (var i = 0; i < nodes.length; i++) {
      if (Number(nodes[i].dataset.seq) > seq) { log.insertBefore(b, nodes[i]); return; }
    }
    var firstPending = log.querySelector(".msg.pending:not([data-seq])");
    if (firstPending) log.insertBefore(b, firstPending); else log.appendChild(b);
  }

  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = String(unread);
    badge.setAttribute("aria-label", t("unread", { n: unread }));
  }

  function acknowledged(key, seq, convId) {
    outbox = outbox.filter(function (o) { return o.key !== key; });
    save("outbox", outbox);
    var b = byKey[key];
    delete byKey[key];
    if (convId && convId !== conversationId) { conversationId = convId; save("conversation", convId); }
    if (!b) return;
    if (bySeq[seq] && bySeq[seq] !== b) {
      if (!b.dataset.seq) b.remove(); // the push showed it already
      else setPending(b, false);
      return;
    }
    setPending(b, false);
    b.dataset.seq = String(seq);
    bySeq[seq] = b;
    if (seq > lastSeq) lastSeq = seq;
  }

  // --- the socket ---------------------------------------------------------------------------------
  function sendFrame(frame) {
    if (socket && socket.readyState === 1 && (ready || frame.type === "hello")) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    if (refused || (socket && socket.readyState <= 1)) return;
    clearTimeout(retryTimer);
    ready = false;
    var ws = new WebSocket(wsBase + "/ws/visitor/" + encodeURIComponent(inboxKey) + "/");
    socket = ws;
    ws.onopen = function () {
      var hello = { type: "hello", token: token, conversation_id: conversationId, last_seq: lastSeq };
      if (userId && userHmac) hello.identity = { user_id: String(userId), hmac: String(userHmac) };
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (e) {
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      if (ws === socket) handle(frame);
    };
    ws.onclose = function (e) {
      if (ws !== socket) return;
      socket = null;
      ready = false;
      if (e.code === 4403 || e.code === 4404) { refused = true; setStatus(); return; }
      if (e.code === CLOSE_UNAVAILABLE) {
        unavailable = true;
        setStatus();
        markFailed();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(connect, UNAVAILABLE_RETRY_MS * (0.75 + Math.random() * 0.5));
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    retries += 1;
    setStatus();
    markFailed();
    var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(retries - 1, 5))) * (0.75 + Math.random() * 0.5);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  function markFailed() {
    Object.keys(byKey).forEach(function (k) { if (!byKey[k].dataset.seq) setPending(byKey[k], true, true); });
  }

  function disconnect() {
    if (socket) { var ws = socket; socket = null; ready = false; ws.close(); }
  }

  function handle(f) {
    switch (f.event) {
      case "welcome":
        ready = true;
        unavailable = false;
        retries = 0;
        token = f.token; save("token", token);
        if (f.conversation_id !== conversationId) {
          if (f.conversation_id === null && conversationId !== null) resetLog();
          conversationId = f.conversation_id; save("conversation", conversationId);
        }
        state = f.state; agentName = f.agent_name || ""; queuePosition = f.queue_position;
        (f.messages || []).forEach(render);
        offerSurvey(f.conversation_id, f.survey_url);
        outbox.forEach(function (o) { pendingBubble(o); sendFrame({ type: "send", key: o.key, body: o.body }); });
        setStatus();
        break;
      case "ack":
        acknowledged(f.key, f.seq, f.conversation_id);
        break;
      case "conversations.state":
        if (f.conversation_id !== conversationId) { conversationId = f.conversation_id; save("conversation", conversationId); }
        state = f.state; agentName = f.agent_name || ""; queuePosition = f.queue_position;
        setStatus();
        break;
      case "conversations.message":
        if (f.conversation_id === conversationId) render(f.message);
        break;
      case "conversations.agent_joined":
        state = "open"; agentName = f.agent_name || ""; queuePosition = null; setStatus();
        break;
      case "conversations.waiting":
        state = "waiting"; setStatus(); sendFrame({ type: "queue" });
        break;
      case "conversations.queue":
        if (f.conversation_id === conversationId) { queuePosition = f.position; setStatus(); }
        break;
      case "conversations.typing":
        typingLine.textContent = T.typing;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typingLine.textContent = ""; }, TYPING_SHOWN_MS);
        break;
      case "visits.survey":
        offerSurvey(f.conversation_id, f.url);
        setStatus();
        break;
      case "conversations.closed":
        if (f.conversation_id === conversationId) { state = "closed"; setStatus(); }
        break;
      case "unavailable":
        unavailable = true;
        setStatus();
        break;
      case "rated":
        if (ratedIds.indexOf(f.conversation_id) < 0) { ratedIds.push(f.conversation_id); save("rated", ratedIds.slice(-50)); }
        ratingBox.textContent = "";
        ratingBox.hidden = true;
        note(T.rated);
        break;
      case "error":
        if (f.key && byKey[f.key]) {
          // Refused for good (too long, empty…): stop resending it and say why.
          outbox = outbox.filter(function (o) { return o.key !== f.key; });
          save("outbox", outbox);
          var b = byKey[f.key];
          delete byKey[f.key];
          setPending(b, true);
          b.querySelector(".state").textContent = f.message || T.error;
        } else if (f.message) {
          note(f.message);
        }
        break;
      default:
        break;
    }
  }

  function resetLog() {
    log.textContent = "";
    bySeq = {}; lastSeq = 0; greeted = false; greet();
  }

  function pendingBubble(o) {
    if (byKey[o.key]) return byKey[o.key];
    var b = bubble("visitor", T.you);
    setBody(b, o.body);
    b.dataset.text = o.body;
    setPending(b, true, !ready);
    log.appendChild(b);
    byKey[o.key] = b;
    scrollDown();
    return b;
  }

  function sendText(text) {
    var body = text.trim();
    if (!body) return;
    var o = { key: newKey(), body: body };
    outbox.push(o);
    save("outbox", outbox);
    pendingBubble(o);
    if (!sendFrame({ type: "send", key: o.key, body: o.body })) connect();
    setStatus();
  }

  // --- HTTP: config, image, offline form -----------------------------------------------------------
  function api(path, options) {
    var sep = path.indexOf("?") < 0 ? "?" : "&";
    return fetch(httpBase + "/widget/" + encodeURIComponent(inboxKey) + path + (lang === "en" ? sep + "lang=en" : ""),
      Object.assign({ mode: "cors", credentials: "omit" }, options || {}))
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) throw new Error(body.error || T.error);
          return body;
        });
      });
  }

  function loadConfig() {
    return api("/config/").then(function (c) {
      online = !!c.online;
      maxImageBytes = c.max_image_bytes || 0;
      hours = c.hours || "";
      if (c.inbox) titleLine.textContent = c.inbox;
      if (c.greeting) greetingText = c.greeting;
      greet();
      setStatus();
    }).catch(function () { greet(); });
  }

  function sendImage(file) {
    if (!file) return;
    var key = newKey();
    var b = bubble("visitor", T.you);
    b.querySelector(".body").textContent = T.imageUploading;
    setPending(b, true);
    log.appendChild(b);
    scrollDown();
    if (maxImageBytes && file.size > maxImageBytes) {
      setPending(b, true);
      b.querySelector(".body").textContent = t("imageFailed", { reason: t("imageTooLarge", { mb: Math.floor(maxImageBytes / 1048576) }) });
      b.querySelector(".state").remove();
      return;
    }
    var form = new FormData();
    form.append("image", file);
    form.append("key", key);
    api("/upload/", { method: "POST", body: form, headers: { "X-Kefu-Token": token || "" } })
      .then(function (ack) {
        byKey[key] = b;
        b.dataset.text = ack.body;
        setBody(b, ack.body);
        var moved = ack.conversation_id !== conversationId;
        acknowledged(key, ack.seq, ack.conversation_id);
        if (moved) { disconnect(); retries = 0; connect(); } // follow the conversation the image started
      })
      .catch(function (err) {
        setPending(b, true);
        b.querySelector(".body").textContent = t("imageFailed", { reason: err.message });
        b.querySelector(".state").remove();
      });
  }

  // The survey link comes from the server (an https/http URL); shown as a link, never as HTML.
  function offerSurvey(convId, url) {
    surveyBox.textContent = "";
    survey = null;
    if (!convId || typeof url !== "string" || !/^https?:\/\//.test(url)) return;
    survey = { conversationId: convId, url: url };
    surveyBox.appendChild(el("p", { text: T.surveyTitle }));
    surveyBox.appendChild(el("a", { href: url, target: "_blank", rel: "noopener", "data-kefu": "survey-link", text: T.surveyLink }));
  }

  function buildRating() {
    ratingBox.appendChild(el("p", { text: T.rateTitle }));
    var stars = el("div", { className: "stars", role: "group", "aria-label": T.rateTitle });
    [1, 2, 3, 4, 5].forEach(function (n) {
      var label = t("star", { n: n, level: T.levels[n - 1] });
      var s = el("button", { type: "button", "aria-label": label, title: label, text: "★" });
      s.addEventListener("click", function () { sendFrame({ type: "rate", rating: n }); });
      stars.appendChild(s);
    });
    ratingBox.appendChild(stars);
  }

  function field(labelText, control, id) {
    control.id = id;
    return [el("label", { for: id, text: labelText }), control];
  }

  var offlineTitle = null; // the form's first line: nobody on duty, or live chat unavailable
  var offlineHint = null;
  function buildOfflineForm() {
    var name = el("input", { type: "text", maxlength: "60", autocomplete: "name", required: "" });
    var contact = el("input", { type: "text", maxlength: "80", autocomplete: "tel", required: "" });
    var message = el("textarea", { maxlength: "2000", required: "" });
    var error = el("div", { className: "error", role: "alert" });
    var submit = el("button", { type: "submit", className: "send", text: T.submit });
    var form = el("form", { novalidate: "" }, [].concat(
      [offlineTitle = el("p", { text: unavailable ? T.unavailable : T.offlineTitle }), offlineHint = el("p", { className: "hint", text: hours ? t("offlineHours", { hours: hours }) : T.offlineHint })],
      field(T.name, name, "kefu-name"), field(T.contact, contact, "kefu-contact"), field(T.message, message, "kefu-message"),
      [error, submit]));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      error.textContent = "";
      submit.disabled = true;
      api("/offline/", {
        method: "POST", headers: { "Content-Type": "application/json", "X-Kefu-Token": token || "" },
        body: JSON.stringify({ name: name.value, contact: contact.value, message: message.value }),
      }).then(function (r) {
        offlineBox.textContent = "";
        offlineBox.appendChild(el("p", { role: "status", text: t("offlineDone", { number: r.ticket_number }) }));
      }).catch(function (err) {
        error.textContent = err.message;
      }).then(function () { submit.disabled = false; });
    });
    offlineBox.appendChild(form);
  }

  function buildFeedbackForm() {
    var name = el("input", { type: "text", maxlength: "60", autocomplete: "name", required: "" });
    var contact = el("input", { type: "text", maxlength: "80", autocomplete: "tel", required: "" });
    var kind = el("select", {});
    ["bug", "feature", "content", "performance", "other"].forEach(function (k) {
      kind.appendChild(el("option", { value: k, text: T.kinds[k] }));
    });
    var title = el("input", { type: "text", maxlength: "200", required: "" });
    var steps = el("textarea", { maxlength: "4000" });
    var version = el("input", { type: "text", maxlength: "40" });
    var error = el("div", { className: "error", role: "alert" });
    var submit = el("button", { type: "submit", className: "send", text: T.fbSubmit });
    var form = el("form", { novalidate: "" }, [].concat(
      [el("p", { text: T.feedbackTitle })],
      field(T.name, name, "kefu-fb-name"), field(T.contact, contact, "kefu-fb-contact"),
      field(T.kind, kind, "kefu-fb-kind"), field(T.fbTitle, title, "kefu-fb-title"),
      field(T.fbSteps, steps, "kefu-fb-steps"), field(T.fbVersion, version, "kefu-fb-version"),
      [error, submit]));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      error.textContent = "";
      submit.disabled = true;
      api("/feedback/", {
        method: "POST", headers: { "Content-Type": "application/json", "X-Kefu-Token": token || "" },
        body: JSON.stringify({
          name: name.value, contact: contact.value, category: kind.value, title: title.value,
          steps: steps.value, version: version.value, device: (navigator.userAgent || "").slice(0, 100),
        }),
      }).then(function (r) {
        feedbackBox.textContent = "";
        feedbackBox.appendChild(el("p", { role: "status", text: t("fbDone", { number: r.report_id }) }));
      }).catch(function (err) {
        error.textContent = err.message;
      }).then(function () { submit.disabled = false; });
    });
    feedbackBox.appendChild(form);
  }

  // --- events ------------------------------------------------------------------------------------
  function toggle(open) {
    isOpen = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      unread = 0; showUnread();
      if (online === null || (state !== "open" && state !== "waiting")) loadConfig();
      connect();
      setTimeout(function () { input.focus(); scrollDown(); }, 0);
    } else {
      launcher.focus();
    }
  }
  launcher.addEventListener("click", function () { toggle(!isOpen); });
  closeButton.addEventListener("click", function () { toggle(false); });
  endButton.addEventListener("click", function () { sendFrame({ type: "close" }); });
  feedbackButton.addEventListener("click", function () {
    feedbackOpen = !feedbackOpen;
    if (feedbackOpen && !feedbackBox.firstChild) buildFeedbackForm();
    if (!feedbackOpen && !feedbackBox.querySelector("form")) feedbackBox.textContent = ""; // sent: a fresh form next time
    setStatus();
  });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });
  // --- self-service: before a person is reached, the best public answers to what was typed ------
  // (kefu/knowledge/widget_views.py). Answers are plain text, shown with textContent.
  function settleSelfHelp(queryId, outcome, articleId) {
    fetch(httpBase + "/knowledge/widget/" + encodeURIComponent(inboxKey) + "/answers/" + queryId + "/", {
      method: "POST", mode: "cors", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ outcome: outcome, article: articleId || null }),
    }).catch(function () { /* counting only: the visitor is not kept waiting for it */ });
  }

  function selfHelp(text) {
    if (!text || !text.trim() || state === "open") return;
    fetch(httpBase + "/knowledge/widget/" + encodeURIComponent(inboxKey) + "/answers/?q=" + encodeURIComponent(text.slice(0, 500)), { mode: "cors", credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (found) {
        if (!found.answers || !found.answers.length || state === "open") return;
        selfHelpBox.textContent = "";
        selfHelpBox.appendChild(el("p", { text: T.selfHelp }));
        found.answers.forEach(function (a) {
          var solved = el("button", { type: "button", text: T.solved, "data-kefu": "solved" });
          solved.addEventListener("click", function () {
            settleSelfHelp(found.query, "solved", a.id);
            selfHelpBox.hidden = true;
            note(T.solvedThanks);
            if (state === "waiting") sendFrame({ type: "close" }); // nobody needs to take it now
          });
          selfHelpBox.appendChild(el("div", { className: "answer" }, [el("h3", { text: a.title }), el("div", { text: a.text }), solved]));
        });
        var person = el("button", { type: "button", text: T.person, "data-kefu": "person" });
        person.addEventListener("click", function () {
          settleSelfHelp(found.query, "person", null);
          selfHelpBox.hidden = true;
          note(T.personWait);
        });
        selfHelpBox.appendChild(person);
        selfHelpBox.hidden = false;
      })
      .catch(function () { /* no answers shown: the chat goes on as before */ });
  }

  compose.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    sendText(text);
    input.value = "";
    selfHelp(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      var text = input.value;
      sendText(text);
      input.value = "";
      selfHelp(text);
    }
  });
  input.addEventListener("input", function () {
    var now = Date.now();
    if (conversationId && now - lastTypingSent > TYPING_EVERY_MS) { lastTypingSent = now; sendFrame({ type: "typing" }); }
  });
  attachButton.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () { sendImage(fileInput.files[0]); fileInput.value = ""; });
  window.addEventListener("offline", function () { disconnect(); retries = Math.max(retries, 1); setStatus(); markFailed(); });
  window.addEventListener("online", function () { retries = Math.max(retries, 1); connect(); });

  function start() {
    document.body.appendChild(host);
    // A returning visitor (or one with unsent messages) reconnects at once to see new replies;
    // a first-time visitor connects when they open the panel.
    if (token || outbox.length) connect();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
