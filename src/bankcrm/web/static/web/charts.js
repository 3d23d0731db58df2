// Draws every element with a data-figure attribute as a Plotly chart (figure spec is JSON).
(function () {
  function draw(root) {
    if (typeof Plotly === "undefined") return;
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var fig = JSON.parse(el.dataset.figure);
      Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displayModeBar: false});
      el.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
