// Draws every chart on the page from its JSON data block. Without JavaScript, the text summary
// and the data table below each chart carry the same information.
(function () {
  "use strict";
  // On a phone: fewer, level x ticks, no x-axis title (the summary names the period), and the
  // colour bar of a heat-map under the plot instead of beside it.
  function fitToPhone(fig) {
    var layout = fig.layout;
    var heat = fig.data.some(function (t) { return t.type === "heatmap"; });
    layout.margin = { l: 48, r: 8, t: 8, b: heat ? 120 : 56 };
    layout.xaxis = layout.xaxis || {};
    layout.xaxis.title = { text: "" };
    layout.xaxis.nticks = 4;
    layout.xaxis.tickangle = 0;
    if (layout.xaxis.tickformat && layout.xaxis.tickformat.indexOf("%H") >= 0) {
      layout.xaxis.tickformat = "%m-%d<br>%H:%M";
    } else if (layout.xaxis.tickformat === "%Y-%m-%d") {
      layout.xaxis.tickformat = "%m-%d<br>%Y";
    }
    layout.legend = { orientation: "h", x: 0, y: -0.2, yanchor: "top" };
    if (heat) {
      fig.data.forEach(function (t) {
        if (t.type !== "heatmap") { return; }
        t.colorbar = Object.assign({}, t.colorbar, { orientation: "h", x: 0, xanchor: "left", y: -0.12,
          yanchor: "top", len: 1, thickness: 12, title: { text: "" } });
        if (t.colorbar.ticktext) { t.colorbar.tickangle = -40; }
      });
      layout.height = (layout.height || 300) + 60;
    } else {
      layout.height = Math.min(layout.height || 380, 340) + 40;
    }
  }
  function draw() {
    if (!window.Plotly) { return; }
    var narrow = window.matchMedia && window.matchMedia("(max-width: 480px)").matches;
    document.querySelectorAll("script.chart-data").forEach(function (node) {
      var target = document.getElementById(node.getAttribute("data-target"));
      if (!target || target.getAttribute("data-drawn")) { return; }
      var fig = JSON.parse(node.textContent);
      if (narrow) { fitToPhone(fig); }
      // No mode bar: the data table and the downloads are the accessible way to the numbers.
      var config = { responsive: true, displaylogo: false, displayModeBar: false };
      window.Plotly.newPlot(target, fig.data, fig.layout, config);
      target.setAttribute("data-drawn", "1");
      target.style.minHeight = "";  // the space reserved before drawing; plotly sets the height now
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
