// Pagefind's search UI, served from the site itself. Result addresses are made relative to
// where the site is served from (it may live under a sub-path such as /portal/).
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || !window.PagefindUI) { return; }
  var base = new URL((box.getAttribute("data-site") || ".") + "/", window.location.href).pathname;
  new window.PagefindUI({ element: "#search", baseUrl: base, showImages: false, showSubResults: false,
    resetStyles: false, autofocus: true });
  var params = new URLSearchParams(window.location.search);
  var query = params.get("q");
  if (query) {
    var input = box.querySelector("input");
    if (input) { input.value = query; input.dispatchEvent(new Event("input", { bubbles: true })); }
  }
})();
