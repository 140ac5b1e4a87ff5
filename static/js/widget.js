// The widget form: while the citizen types, show open reports of the same problem nearby
// (a fragment rendered and escaped by the server), so that they can join one instead.
(function () {
  "use strict";
  var form = document.querySelector("form.widget-form[data-similar]");
  if (!form) return;
  var box = document.getElementById("similar");
  var text = form.querySelector("[name=text]");
  var address = form.querySelector("[name=address]");
  var timer = null;
  var asked = "";
  function look() {
    var query = "text=" + encodeURIComponent(text.value) +
      "&address=" + encodeURIComponent(address ? address.value : "");
    if (query === asked || text.value.trim().length < 15) return;
    asked = query;
    fetch(form.dataset.similar + "?" + query, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (query === asked) box.innerHTML = html; })
      .catch(function () { /* the form works without it */ });
  }
  function later() { clearTimeout(timer); timer = setTimeout(look, 600); }
  text.addEventListener("input", later);
  if (address) address.addEventListener("input", later);
})();
