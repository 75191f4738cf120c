/* kefu 客服: behaviour every page shares, written as listeners here instead of inline handlers.
 *
 * The pages run under a Content-Security-Policy without 'unsafe-inline' scripts (kefu/core/csp.py):
 * an `onclick="…"` or `onsubmit="…"` attribute would not run. Instead the markup says what it wants
 * with data attributes, and this file (loaded on every page) does it:
 *
 *   <form data-confirm="删除？">, <button data-confirm="删除？">   ask before submitting (also for
 *                                                                 htmx requests: use hx-confirm)
 *   <select data-autosubmit>                                     submit the form when changed
 *   <div data-dismiss-after="6000">                              remove after that many ms
 *   <button data-dismiss>                                        remove the closest .alert
 *   <button data-quote-into="#reply-box" data-quote-text="…">      put the text into that reply box
 *                                                                 (after what is typed), focused
 *   hx-get … data-hx-first-line="value"                          send the element's first line
 *                                                                 as parameter `value`
 *   <input type="date">, <input type="datetime-local">           a Chinese date picker (flatpickr,
 *                                                                 yyyy-mm-dd), whatever the
 *                                                                 browser's own locale
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    var button = event.submitter;
    if (button && button.hasAttribute("data-confirm")) message = button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm], a[data-confirm]");
    // A submit button's question is asked by the submit listener, once.
    if (button && !(button.form && button.type === "submit") && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
    var quote = event.target.closest("[data-quote-into]");
    var box = quote && document.querySelector(quote.getAttribute("data-quote-into"));
    if (box) {
      var text = quote.getAttribute("data-quote-text") || "";
      box.value = box.value ? box.value.replace(/\s*$/, "") + "\n" + text : text;
      box.dispatchEvent(new Event("input", { bubbles: true }));  // the workspace keeps the draft
      box.focus();
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var alert = dismiss.closest(".alert");
      if (alert) alert.remove();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) select.form.requestSubmit();
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    var name = element && element.getAttribute && element.getAttribute("data-hx-first-line");
    if (name) event.detail.parameters[name] = (element.value || "").split("\n")[0];
  });

  var DATE_OPTIONS = {
    date: { dateFormat: "Y-m-d" },
    "datetime-local": { dateFormat: "Y-m-d\\TH:i", altInput: true, altFormat: "Y-m-d H:i", enableTime: true, time_24hr: true },
  };

  function enhance(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-dismiss-after]").forEach(function (node) {
      setTimeout(function () { node.remove(); }, Number(node.getAttribute("data-dismiss-after")) || 6000);
      node.removeAttribute("data-dismiss-after");
    });
    if (!window.flatpickr) return;
    var english = (document.documentElement.lang || "").indexOf("en") === 0;
    (root.querySelectorAll ? root : document).querySelectorAll('input[type="date"], input[type="datetime-local"]').forEach(function (input) {
      var options = DATE_OPTIONS[input.type];
      input.type = "text";
      input.setAttribute("autocomplete", "off");
      window.flatpickr(input, Object.assign({
        locale: english ? "default" : "zh",
        allowInput: true,
        disableMobile: true,
      }, options));
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
