// Keys available on every page: "/" to search, "?" for the keyboard help.
(function () {
  "use strict";

  function typing(event) {
    var target = event.target;
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function openHelp() {
    var dialog = document.getElementById("keyboard-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  window.curKeys = { typing: typing, openHelp: openHelp };

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-help-open]");
    if (opener) {
      event.preventDefault();
      openHelp();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    if (event.key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (event.key === "?") {
      event.preventDefault();
      openHelp();
    }
  });
})();
