// The discovery page's search: the list narrows as one types, over both
// languages' names and the entity ID. Without JavaScript the form asks the
// server instead (?q=).
(function () {
  "use strict";
  var q = document.getElementById("saml-q");
  var list = document.getElementById("saml-idps");
  var count = document.getElementById("saml-count");
  var none = document.getElementById("saml-none");
  if (!q || !list) return;
  var items = Array.prototype.slice.call(list.querySelectorAll("li[data-search]"));
  function filter() {
    var needle = q.value.trim().toLowerCase();
    var shown = 0;
    items.forEach(function (li) {
      var hit = needle === "" || li.getAttribute("data-search").indexOf(needle) >= 0;
      li.hidden = !hit;
      if (hit) shown++;
    });
    none.hidden = shown > 0;
    // The count is the server's, of the list as it came: hidden while
    // the list is narrowed here.
    if (count) count.hidden = needle !== "";
  }
  q.addEventListener("input", filter);
})();
