/* The citizen cabinet: small enhancements; every form works without this file (CSP: script-src 'self').
   - [data-show-when="name=value"] or [data-show-when="checkbox"]: shown only while that choice holds;
   - file inputs (.scan-input): say how many files were chosen (several become one PDF);
   - [data-upload-form]: the submit button says "Загружаем…" and is disabled while the files go up. */
(function () {
  "use strict";

  function conditionHolds(form, condition) {
    var parts = condition.split("=");
    var name = parts[0];
    if (parts.length === 1) {
      var box = form.querySelector("input[type=checkbox][name='" + name + "']");
      return !box || box.checked;
    }
    var inputs = form.querySelectorAll("[name='" + name + "']");
    if (!inputs.length) { return true; }
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked && input.value === parts[1]
          : input.value === parts[1]) {
        return true;
      }
    }
    return false;
  }

  function updateConditionals(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (element) {
      var show = conditionHolds(form, element.getAttribute("data-show-when"));
      // Never hide a block that carries an error or a rejected document: the citizen must see it.
      if (!show && element.querySelector(".field-errors, .doc-comment")) { show = true; }
      element.hidden = !show;
    });
  }

  function describeFiles(input) {
    var note = input.parentNode.querySelector(".scan-chosen");
    if (!note) { return; }
    var count = input.files ? input.files.length : 0;
    if (count === 0) {
      note.textContent = "";
    } else if (count === 1) {
      note.textContent = "Выбран файл: " + input.files[0].name;
    } else {
      note.textContent = "Выбрано файлов: " + count + ". Они будут объединены в один PDF в этом порядке.";
    }
  }

  function init() {
    document.querySelectorAll("form.cabinet-form").forEach(function (form) {
      if (form.querySelector("[data-show-when]")) {
        updateConditionals(form);
        form.addEventListener("change", function () { updateConditionals(form); });
      }
    });
    document.addEventListener("change", function (event) {
      if (event.target instanceof HTMLInputElement && event.target.type === "file") {
        describeFiles(event.target);
      }
    });
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload-form") || event.defaultPrevented) {
        return;
      }
      var button = form.querySelector("button[type=submit][data-busy-label]");
      if (button) {
        button.setAttribute("data-idle-label", button.textContent);
        button.textContent = button.getAttribute("data-busy-label");
        window.setTimeout(function () { button.disabled = true; }, 0); // after the submission has started
      }
    });
    // Coming back through the browser's history shows the page as it was left: re-enable the buttons.
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("button[data-idle-label]").forEach(function (button) {
        button.disabled = false;
        button.textContent = button.getAttribute("data-idle-label");
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
