// The console's only script: the timeline's kind filter. Everything else
// works without it.
document.addEventListener("DOMContentLoaded", function () {
  var bar = document.getElementById("timeline-filters");
  if (!bar) return;
  bar.addEventListener("click", function (ev) {
    var kind = ev.target.getAttribute("data-kind");
    if (!kind) return;
    bar.querySelectorAll("button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b === ev.target));
    });
    document.querySelectorAll("#timeline tr.tl").forEach(function (row) {
      row.hidden = kind !== "all" && row.getAttribute("data-kind") !== kind;
    });
  });
});
