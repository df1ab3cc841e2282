// Keeps the alert queue current without a full reload, and never while someone is typing a
// note: the new page is fetched and swapped in only when it differs. Without JavaScript the page
// still works; it just needs a reload.
(function () {
  "use strict";
  var region = document.querySelector("[data-refresh-seconds]");
  if (!region || !window.fetch || !window.DOMParser) return;
  var seconds = Math.max(1, Number(region.getAttribute("data-refresh-seconds")) || 30);

  function busy() {
    var active = document.activeElement;
    if (active && region.contains(active) && /^(TEXTAREA|INPUT|SELECT)$/.test(active.tagName)) return true;
    var fields = region.querySelectorAll("textarea");
    for (var i = 0; i < fields.length; i++) if (fields[i].value) return true;
    return false;
  }

  function refresh() {
    if (busy()) return later();
    fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.redirected) { window.location.reload(); throw new Error("signed out"); }
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var replacement = fresh.querySelector("[data-refresh-seconds]");
        if (replacement && replacement.innerHTML !== region.innerHTML && !busy()) {
          region.innerHTML = replacement.innerHTML;
          document.title = fresh.title;
        }
      })
      .catch(function () { /* keep what is shown; try again next time */ })
      .then(later);
  }

  function later() { window.setTimeout(refresh, seconds * 1000); }
  later();
})();
