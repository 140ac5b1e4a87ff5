// The queue: j/k to move, Enter to open, x to select; the action keys (a to assign, r to route…)
// come from the page (the bulk bar's options, or data-action-keys where there is no bar).
(function () {
  "use strict";
  var current = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table[data-queue] tbody tr[data-href]"));
  }

  function setCurrent(row) {
    if (current) current.classList.remove("is-current");
    current = row;
    if (!row) return;
    row.classList.add("is-current");
    row.scrollIntoView({ block: "nearest" });
    var link = row.querySelector("a.row-link");
    if (link) link.focus({ preventScroll: true });
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = current ? all.indexOf(current) : -1;
    if (index === -1) index = step > 0 ? -1 : all.length;
    setCurrent(all[Math.min(all.length - 1, Math.max(0, index + step))]);
  }

  function checkbox(row) {
    return row ? row.querySelector("input[type=checkbox][name=ids]") : null;
  }

  function selected() {
    return document.querySelectorAll("input[type=checkbox][name=ids]:checked");
  }

  function updateCount() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) return;
    var prefix = label.getAttribute("data-prefix");
    if (prefix === null) {
      prefix = label.textContent.replace(/\d+\s*$/, "");
      label.setAttribute("data-prefix", prefix);
    }
    label.textContent = prefix + selected().length;
  }

  var pendingFocus = false;

  // Key → action name: the bulk bar's options carry their keys; pages without a bar say theirs.
  function actionFor(key) {
    var option = document.querySelector("[data-bulk-action] option[data-key='" + key + "']");
    if (option) return option.value;
    var holder = document.querySelector("[data-action-keys]");
    if (!holder) return null;
    var found = null;
    holder.getAttribute("data-action-keys").split(" ").forEach(function (pair) {
      var parts = pair.split("=");
      if (parts[0] === key) found = parts[1];
    });
    return found;
  }

  function bulk(actionName) {
    var action = document.querySelector("[data-bulk-action]");
    if (!action) {
      // No bulk bar here: do it on the signal page.
      if (current) window.location.href = current.getAttribute("data-href") + "#action-" + actionName;
      return;
    }
    if (!selected().length && current && checkbox(current)) {
      checkbox(current).checked = true;
      updateCount();
    }
    // The action's inputs are loaded when it is chosen; focus the first once they arrive.
    pendingFocus = true;
    action.value = actionName;
    action.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || window.curKeys.typing(event)) return;
    var dialog = document.getElementById("keyboard-help");
    if (dialog && dialog.open) return;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter":
        if (current) window.location.href = current.getAttribute("data-href");
        else return;
        break;
      case "x":
        if (current && checkbox(current)) {
          checkbox(current).checked = !checkbox(current).checked;
          updateCount();
        }
        break;
      default: {
        var name = event.key.length === 1 ? actionFor(event.key) : null;
        if (!name) return;
        bulk(name);
      }
    }
    event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      var table = target.closest("table");
      table.querySelectorAll("input[type=checkbox][name=ids]").forEach(function (box) {
        box.checked = target.checked;
      });
      updateCount();
    } else if (target.matches("input[type=checkbox][name=ids]")) {
      updateCount();
    }
  });

  // Keep the URL short: leave out filters that are empty or "unknown" (not chosen).
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "filters") return;
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value === "" || value === "unknown") {
        if (key !== "view") delete params[key];
      }
    });
  });

  // Results replaced by a filter: the old current row is gone.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "results") current = null;
    if (event.target && event.target.id === "bulk-fields" && pendingFocus) {
      var field = event.target.querySelector("select, input");
      pendingFocus = null;
      if (field) field.focus();
    }
    if (current && !document.body.contains(current)) current = null;
    updateCount();
  });

  // The column chooser: ↑/↓ move a column; the ticked ones are saved in the order shown.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-columns-form] [data-move]");
    if (!button) return;
    var item = button.closest("li");
    var list = item.parentNode;
    if (button.getAttribute("data-move") === "up") {
      var before = item.previousElementSibling;
      if (before && !before.querySelector("input[disabled]")) list.insertBefore(item, before);
    } else if (item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
    button.focus();
  });

  document.addEventListener("DOMContentLoaded", updateCount);
})();
