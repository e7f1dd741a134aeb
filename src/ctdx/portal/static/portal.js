/* ctdx portal: progressive enhancements only; every page works without this file.
   - filters apply as soon as a value is chosen;
   - marks show their numbers in a tooltip on hover and keyboard focus;
   - a country on a map can be clicked (or Enter) to filter the dashboard by it. */
(function () {
  "use strict";
  var tip = null;
  function show(el, x, y) {
    if (!tip) { return; }
    tip.textContent = el.getAttribute("data-tip");
    tip.hidden = false;
    tip.style.left = (x + 12) + "px";
    tip.style.top = (y + 12) + "px";
  }
  function hide() { if (tip) { tip.hidden = true; } }
  function filterBy(el) {
    var column = el.getAttribute("data-filter");
    if (!column || el.getAttribute("data-count") === "") { return; }
    var select = document.getElementById("f-" + column);
    if (!select || select.disabled) { return; }
    select.value = el.getAttribute("data-value");
    select.form.submit();
  }
  document.addEventListener("DOMContentLoaded", function () {
    tip = document.getElementById("tip");
    document.querySelectorAll("form.filters select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("[data-tip]").forEach(function (el) {
      el.addEventListener("mousemove", function (e) { show(el, e.clientX, e.clientY); });
      el.addEventListener("mouseleave", hide);
      el.addEventListener("focus", function () {
        var box = el.getBoundingClientRect();
        show(el, box.left, box.top);
      });
      el.addEventListener("blur", hide);
      el.addEventListener("click", function () { filterBy(el); });
      el.addEventListener("keydown", function (e) { if (e.key === "Enter") { filterBy(el); } });
    });
  });
})();
