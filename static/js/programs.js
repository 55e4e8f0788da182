/* Programs pages: copy-to-РР buttons and "select all" for citizen categories. Every page works
   without this file: the buttons stay hidden and the values can be selected by hand. */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP pages (a dev server): the old way, through a temporary text area.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      area.remove();
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  function setupCopyButtons() {
    document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      if (!source) { return; }
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(source.textContent.trim()).then(function () {
          button.textContent = button.getAttribute("data-copied-label") || label;
          button.classList.add("copied");
          window.setTimeout(function () { button.textContent = label; button.classList.remove("copied"); }, 2000);
        }, function () {
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        });
      });
    });
  }

  function setupSelectAll() {
    document.querySelectorAll("input[data-select-all]").forEach(function (master) {
      var group = master.getAttribute("data-select-all");
      var boxes = Array.prototype.slice.call(
        document.querySelectorAll('input[type=checkbox][data-select-all-group="' + group + '"]'));
      if (!boxes.length) { return; }
      var wrapper = master.closest("[hidden]");
      if (wrapper) { wrapper.hidden = false; }
      function sync() {
        var checked = boxes.filter(function (box) { return box.checked; }).length;
        master.checked = checked === boxes.length;
        master.indeterminate = checked > 0 && checked < boxes.length;
      }
      master.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = master.checked; });
        sync();
      });
      boxes.forEach(function (box) { box.addEventListener("change", sync); });
      sync();
    });
  }

  function init() {
    setupCopyButtons();
    setupSelectAll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
