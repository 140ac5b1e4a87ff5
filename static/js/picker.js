// Filter pickers: a dropdown of checkboxes with a search box (components/picker.html).
// Typing narrows the list (a topic stays shown when one of its subtopics matches, and shows
// its subtopics when it matches itself); the summary names what is chosen; one open at a time.
(function () {
  "use strict";

  function fold(text) {
    return text.toLowerCase().replace(/ё/g, "е");
  }

  function items(picker) {
    return Array.prototype.slice.call(picker.querySelectorAll(".picker-options li[class^=level-]"));
  }

  function narrow(picker, typed) {
    var query = fold(typed.trim());
    var list = items(picker);
    var shown = 0;
    var topic = null;
    var topicMatches = false;
    list.forEach(function (item) {
      var terms = item.textContent + " " + (item.getAttribute("data-terms") || "");
      var matches = !query || fold(terms).indexOf(query) !== -1;
      if (item.classList.contains("level-0")) {
        topic = item;
        topicMatches = matches;
        item.hidden = !matches;
      } else {
        item.hidden = !(matches || topicMatches);
        if (matches && topic) topic.hidden = false;
      }
    });
    list.forEach(function (item) { if (!item.hidden) shown += 1; });
    picker.querySelectorAll(".picker-group").forEach(function (group) { group.hidden = !!query; });
    var empty = picker.querySelector(".picker-empty");
    if (empty) empty.hidden = shown > 0;
  }

  function summarise(picker) {
    var label = picker.querySelector("[data-picker-summary]");
    if (!label) return;
    var names = Array.prototype.map.call(
      picker.querySelectorAll("input[type=checkbox]:checked"),
      function (box) { return box.parentNode.textContent.trim(); }
    );
    var text = label.getAttribute("data-all");
    if (names.length === 1 || names.length === 2) text = names.join(", ");
    else if (names.length > 2) text = names[0] + ", " + names[1] + " +" + (names.length - 2);
    label.textContent = text;
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-picker-search]")) {
      narrow(event.target.closest("[data-picker]"), event.target.value);
    }
  });

  // The search box is not a filter: its typing must not submit the form.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-picker-search]")) {
      event.stopPropagation();
      return;
    }
    var picker = event.target.closest("[data-picker]");
    if (picker) summarise(picker);
  }, true);

  document.addEventListener("toggle", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches("[data-picker]") || !picker.open) return;
    document.querySelectorAll("[data-picker][open]").forEach(function (other) {
      if (other !== picker) other.open = false;
    });
    // Near the window's right edge the list opens leftwards.
    var panel = picker.querySelector(".picker-panel");
    panel.classList.remove("to-left");
    if (panel.getBoundingClientRect().right > document.documentElement.clientWidth - 8) {
      panel.classList.add("to-left");
    }
    var search = picker.querySelector("[data-picker-search]");
    if (search) search.focus();
  }, true);

  document.addEventListener("click", function (event) {
    document.querySelectorAll("[data-picker][open]").forEach(function (picker) {
      if (!picker.contains(event.target)) picker.open = false;
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var picker = event.target.closest && event.target.closest("details[data-picker]");
    if (!picker) return;
    picker.open = false;
    picker.querySelector("summary").focus();
    event.preventDefault();
  });
})();
