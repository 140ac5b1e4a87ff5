// The signal page: an action's key (data-action-key on its field: a to assign, r to route…)
// focuses its form; #action-… in the URL focuses too.
(function () {
  "use strict";

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    var details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    field.scrollIntoView({ block: "center" });
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || window.curKeys.typing(event)) return;
    if (event.key.length !== 1) return;
    var field = document.querySelector("[data-action-key='" + event.key + "']");
    if (field && focusField(field.id)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.location.hash.indexOf("#action-") === 0) focusField(window.location.hash.slice(1));
  });

  // Unsaved words: a typed note or reply is not lost by leaving the page unawares. A form's
  // textareas count once they differ from what the page brought; sending the form clears it.
  var sending = false;
  function unsaved() {
    if (sending) return false;
    return Array.prototype.some.call(document.querySelectorAll("textarea[data-unsaved-guard]"),
      function (area) { return area.value.trim() !== area.defaultValue.trim(); });
  }
  document.addEventListener("submit", function () { sending = true; }, true);
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved()) return;
    event.preventDefault();
    event.returnValue = "";  // the browser shows its own "leave the page?" question
  });
})();
