/* Application pages: small conveniences only; every page works without this file.
   - Document check: choosing "Отклонить" marks the comment as required and moves the focus to it.
   - Applications list: changing the status or cohort filter applies it at once. */
(function () {
  "use strict";

  function setupDecision() {
    var form = document.querySelector("form.document-decision");
    if (!form) { return; }
    var comment = form.querySelector("textarea[name=comment]");
    if (!comment) { return; }
    form.querySelectorAll("input[name=decision]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        var rejecting = radio.checked && radio.value === "reject";
        comment.required = rejecting;
        if (rejecting) { comment.focus(); }
      });
    });
  }

  function setupAutoApply() {
    var form = document.getElementById("application-filters");
    if (!form) { return; }
    ["status", "cohort"].forEach(function (name) {
      var select = form.querySelector("select[name=" + name + "]");
      if (select) {
        select.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupDecision();
    setupAutoApply();
  });
}());
