// Catalogue filters (progressive enhancement): the full list works without JavaScript; this
// reveals the filter form and hides the cards that do not match the chosen values.
(function () {
  "use strict";
  var form = document.getElementById("catalogue-filters");
  if (!form) { return; }
  var cards = Array.prototype.slice.call(document.querySelectorAll(".catalogue-section .card"));
  var count = form.querySelector(".filter-count");
  function apply() {
    var chosen = {};
    ["category", "department", "area", "frequency"].forEach(function (name) {
      chosen[name] = form.elements[name].value;
    });
    var shown = 0;
    cards.forEach(function (card) {
      var match = Object.keys(chosen).every(function (k) {
        return !chosen[k] || card.getAttribute("data-" + k) === chosen[k];
      });
      card.hidden = !match;
      if (match) { shown += 1; }
    });
    document.querySelectorAll(".catalogue-section").forEach(function (section) {
      section.hidden = !section.querySelector(".card:not([hidden])");
    });
    count.textContent = count.getAttribute("data-template")
      .replace("{shown}", shown).replace("{total}", cards.length);
  }
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();
