// Draws every element with a data-figure attribute as a Plotly chart (figure spec is JSON).
// Plotly (4.8 MB) is fetched only when a page, or a fragment htmx swaps in, has a chart.
(function () {
  var src = document.currentScript && document.currentScript.dataset.plotly;
  var loading = null;
  function load(then) {
    if (typeof Plotly !== "undefined") return then();
    if (!loading) {
      loading = [];
      var s = document.createElement("script");
      s.src = src;
      s.onload = function () { loading.forEach(function (f) { f(); }); };
      document.head.appendChild(s);
    }
    loading.push(then);
  }
  function draw(root) {
    var charts = root.querySelectorAll("[data-figure]:not([data-drawn])");
    if (!charts.length || !src) return;
    load(function () {
      charts.forEach(function (el) {
        if (el.dataset.drawn) return;
        var fig = JSON.parse(el.dataset.figure);
        Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displayModeBar: false});
        el.dataset.drawn = "1";
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
