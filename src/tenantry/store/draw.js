// Draws every [data-figure] element from the Plotly figure (JSON) inside it. plotly.js is
// loaded before this file, from the same server (the dashboard) or inlined (a static report).
(function () {
  "use strict";
  function draw() {
    var figures = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < figures.length; i++) {
      var holder = figures[i];
      if (holder.getAttribute("data-drawn")) continue;
      var spec = JSON.parse(holder.querySelector("script[type='application/json']").textContent);
      var target = document.createElement("div");
      target.setAttribute("role", "img");
      target.setAttribute("aria-label", holder.getAttribute("data-label") || "chart");
      holder.appendChild(target);
      Plotly.newPlot(target, spec.data, spec.layout, {
        displaylogo: false,
        responsive: true,
        modeBarButtonsToRemove: ["lasso2d", "select2d"]
      });
      holder.setAttribute("data-drawn", "1");
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
