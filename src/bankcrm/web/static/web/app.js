// Keyboard shortcuts of the frame: "/" or Ctrl/Cmd+K focuses the top bar's search, Escape
// leaves it; arrow keys move through its hits.
(function () {
  function box() { return document.querySelector("[data-testid=global-search]"); }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (e) {
    var input = box();
    if (!input) return;
    var k = e.key;
    if ((k === "/" && !typing(document.activeElement)) || ((e.ctrlKey || e.metaKey) && k.toLowerCase() === "k")) {
      e.preventDefault();
      input.focus();
      input.select();
      return;
    }
    var hits = Array.prototype.slice.call(document.querySelectorAll("#global-results a"));
    var at = hits.indexOf(document.activeElement);
    if (k === "Escape" && (document.activeElement === input || at >= 0)) {
      document.getElementById("global-results").innerHTML = "";
      input.blur();
    } else if (k === "ArrowDown" && (document.activeElement === input || at >= 0) && hits.length) {
      e.preventDefault();
      hits[Math.min(at + 1, hits.length - 1)].focus();
    } else if (k === "ArrowUp" && at >= 0) {
      e.preventDefault();
      (at === 0 ? input : hits[at - 1]).focus();
    }
  });
})();
// Folded filters open on screens wider than a phone (on a phone the results come first).
document.addEventListener("DOMContentLoaded", function () {
  if (window.matchMedia("(min-width: 601px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
  }
  // "Select all" in a list's header ticks every row's box.
  document.addEventListener("change", function (e) {
    var all = e.target.closest && e.target.closest("[data-select-all]");
    if (!all) return;
    document.querySelectorAll("input[name=ids][type=checkbox]").forEach(function (b) { b.checked = all.checked; });
  });
});
