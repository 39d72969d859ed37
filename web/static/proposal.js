// The proposal form's budget: totals by category, by year and for each
// side, and whether a side passes the grant's ceiling, kept up to date as
// amounts are typed. The server computes the same on every save; without
// this script the form works the same, its totals shown after saving.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var fmt = new Intl.NumberFormat(lang === "ja" ? "ja-JP" : "en-US");
  function amount(s) {
    var n = Number(String(s).replace(/[\s,，¥$円\u00a0]/g, ""));
    return isFinite(n) ? n : 0;
  }
  function update(table) {
    var years = [], total = 0;
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      var row = 0;
      tr.querySelectorAll("input.amount").forEach(function (input, i) {
        var n = amount(input.value);
        row += n;
        years[i] = (years[i] || 0) + n;
      });
      total += row;
      var cell = tr.querySelector('[data-total="row"]');
      if (cell) cell.textContent = fmt.format(row);
    });
    table.querySelectorAll('[data-total="year"]').forEach(function (cell, i) {
      cell.textContent = fmt.format(years[i] || 0);
    });
    var side = table.querySelector('[data-total="side"]');
    if (side) side.textContent = table.dataset.currency + " " + fmt.format(total);
    var ceiling = Number(table.dataset.ceiling || 0);
    var over = ceiling > 0 && total > ceiling;
    var flag = table.querySelector("[data-over]");
    if (flag) flag.hidden = !over;
    if (side && side.parentNode) side.parentNode.classList.toggle("over", over);
  }
  document.querySelectorAll(".budget-table").forEach(function (table) {
    table.addEventListener("input", function () { update(table); });
  });
})();
