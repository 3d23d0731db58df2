// The pipeline board: drag a card by its handle onto another column (mouse, pen or touch:
// pointer events), and the card's own move form is posted through htmx; a refusal comes back
// as the card with its reason. Dropping on "lost" opens the form to choose the reason. Each
// card also has the move control, for keyboards and anyone who would rather not drag.
(function () {
  var drag = null;

  function columnAt(x, y) {
    var el = document.elementFromPoint(x, y);
    return el ? el.closest(".board-col") : null;
  }

  function refresh() {
    document.querySelectorAll(".board-col").forEach(function (col) {
      var n = col.querySelectorAll(".oppcard").length;
      var extra = parseInt(col.dataset.extra || "0", 10);
      var out = col.querySelector("[data-count]");
      if (out) out.textContent = String(n + extra);
    });
  }

  // After htmx swaps a card in, put it in the column of its stage.
  function relocate() {
    document.querySelectorAll(".oppcard").forEach(function (card) {
      var col = card.closest(".board-col");
      if (col && col.dataset.stage !== card.dataset.stage) {
        var target = document.querySelector('.board-col[data-stage="' + card.dataset.stage + '"] .cards');
        if (target) target.prepend(card);
      }
    });
    refresh();
  }

  function move(card, stage) {
    var form = card.querySelector(".moveform");
    if (!form) return;
    form.querySelector("[name=stage]").value = stage;
    if (stage === "lost") {
      var details = card.querySelector("details");
      if (details) details.open = true;
      form.querySelector("[name=lost_reason]").focus();
      return;
    }
    window.htmx.trigger(form, "submit");
  }

  document.addEventListener("pointerdown", function (e) {
    var handle = e.target.closest(".oppcard .handle");
    if (!handle) return;
    var card = handle.closest(".oppcard");
    e.preventDefault();
    handle.setPointerCapture(e.pointerId);
    var box = card.getBoundingClientRect();
    drag = { card: card, handle: handle, dx: e.clientX - box.left, dy: e.clientY - box.top, over: null };
    card.classList.add("dragging");
    card.style.width = box.width + "px";
  });

  document.addEventListener("pointermove", function (e) {
    if (!drag) return;
    drag.card.style.position = "fixed";
    drag.card.style.left = e.clientX - drag.dx + "px";
    drag.card.style.top = e.clientY - drag.dy + "px";
    var board = document.querySelector(".board");
    if (board) {
      var r = board.getBoundingClientRect();
      if (e.clientX > r.right - 30) board.scrollLeft += 20;
      if (e.clientX < r.left + 30) board.scrollLeft -= 20;
    }
    var col = columnAt(e.clientX, e.clientY);
    if (drag.over && drag.over !== col) drag.over.classList.remove("drop-here");
    if (col) col.classList.add("drop-here");
    drag.over = col;
  });

  function end(e) {
    if (!drag) return;
    var card = drag.card;
    var col = columnAt(e.clientX, e.clientY);
    card.classList.remove("dragging");
    card.style.position = card.style.left = card.style.top = card.style.width = "";
    if (drag.over) drag.over.classList.remove("drop-here");
    drag = null;
    if (col && col.dataset.stage !== card.dataset.stage) move(card, col.dataset.stage);
  }

  document.addEventListener("pointerup", end);
  document.addEventListener("pointercancel", function () {
    if (!drag) return;
    drag.card.classList.remove("dragging");
    drag.card.style.position = drag.card.style.left = drag.card.style.top = drag.card.style.width = "";
    drag = null;
  });
  document.addEventListener("htmx:afterSettle", relocate);
  document.addEventListener("DOMContentLoaded", refresh);
})();
