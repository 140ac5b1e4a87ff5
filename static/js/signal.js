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
})();
