// The signal page: a to assign, r to route (focus their forms); #action-… in the URL focuses too.
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
    var target = { a: "action-assign", r: "action-route" }[event.key];
    if (target && focusField(target)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.location.hash.indexOf("#action-") === 0) focusField(window.location.hash.slice(1));
  });
})();
