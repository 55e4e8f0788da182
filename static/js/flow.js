/* Flow: small progressive enhancements. Every page works without this file (CSP: script-src 'self'). */
(function () {
  "use strict";

  /* Confirm before a destructive action: forms with data-confirm (partials/confirm_form.html).
     Without JS the POST goes out without "confirmed" and the server shows a confirmation page. */
  function setupConfirm() {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      return; // no <dialog> support: fall back to the server's confirmation page
    }
    var message = document.getElementById("confirm-dialog-message");
    var confirmButton = document.getElementById("confirm-dialog-confirm");
    var defaultLabel = confirmButton.textContent;
    var pending = null;

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) {
        return;
      }
      if (form.querySelector("input[name=confirmed]")) {
        return; // already confirmed: let it (and htmx) through
      }
      event.preventDefault();
      event.stopPropagation(); // capture phase: htmx on the form never sees the unconfirmed submit
      pending = { form: form, submitter: event.submitter || null };
      message.textContent = form.getAttribute("data-confirm");
      confirmButton.textContent = form.getAttribute("data-confirm-label") || defaultLabel;
      dialog.returnValue = "";
      dialog.showModal();
    }, true);

    dialog.addEventListener("close", function () {
      var current = pending;
      pending = null;
      if (!current || dialog.returnValue !== "confirm") {
        if (current && current.submitter) { current.submitter.focus(); }
        return;
      }
      var marker = document.createElement("input");
      marker.type = "hidden";
      marker.name = "confirmed";
      marker.value = "1";
      current.form.appendChild(marker);
      if (typeof current.form.requestSubmit === "function") {
        current.form.requestSubmit(current.submitter && current.submitter.form === current.form ? current.submitter : undefined);
      } else {
        current.form.submit();
      }
      marker.remove(); // the form data was taken synchronously; ask again next time
    });
  }

  /* A key per form submission (REL-06): set on the first submit of a form and kept, so that a
     double click or a resent form carries the same key and the server runs it once. Capture
     phase: htmx reads the form's values on the form itself, after this. A form that stays on the
     page after an htmx request drops its key, so its next submission is a new one. */
  function setupSubmissionKeys() {
    document.addEventListener("htmx:afterRequest", function (event) {
      var form = event.detail && event.detail.elt;
      var key = form instanceof HTMLFormElement ? form.querySelector("input[name=_submission]") : null;
      if (key) { key.remove(); }
    });
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") {
        return;
      }
      if (form.querySelector("input[name=_submission]")) {
        return;
      }
      var key = document.createElement("input");
      key.type = "hidden";
      key.name = "_submission";
      key.value = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
        : String(Date.now()) + Math.random().toString(16).slice(2);
      form.appendChild(key);
    }, true);
  }

  /* Close an open <details> menu when the user clicks elsewhere or presses Escape. */
  function setupMenus() {
    var selector = "details.user-menu[open], details.mobile-menu[open]";
    document.addEventListener("click", function (event) {
      document.querySelectorAll(selector).forEach(function (details) {
        if (!details.contains(event.target)) { details.removeAttribute("open"); }
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      document.querySelectorAll(selector).forEach(function (details) {
        details.removeAttribute("open");
        var summary = details.querySelector("summary");
        if (summary && details.contains(document.activeElement)) { summary.focus(); }
      });
    });
  }

  function init() {
    setupConfirm();
    setupSubmissionKeys();
    setupMenus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
