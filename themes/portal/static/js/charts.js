// Draws every chart on the page from its JSON data block. Without JavaScript, the text summary
// and the data table below each chart carry the same information.
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("script.chart-data").forEach(function (node) {
      var target = document.getElementById(node.getAttribute("data-target"));
      if (!target || target.getAttribute("data-drawn")) { return; }
      var fig = JSON.parse(node.textContent);
      var config = { responsive: true, displaylogo: false};
      window.Plotly.newPlot(target, fig.data, fig.layout, config);
      target.setAttribute("data-drawn", "1");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
