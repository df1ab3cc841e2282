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
          var shown = disclosures();
          region.innerHTML = replacement.innerHTML;
          restore(shown);
          document.title = fresh.title;
        }
      })
      .catch(function () { /* keep what is shown; try again next time */ })
      .then(later);
  }

  // What someone opened or closed stays so: a refresh must not fold away what they are reading.
  function disclosures() {
    var state = {};
    var all = region.querySelectorAll("details[id]");
    for (var i = 0; i < all.length; i++) state[all[i].id] = all[i].open;
    return state;
  }

  function restore(state) {
    var all = region.querySelectorAll("details[id]");
    for (var i = 0; i < all.length; i++) {
      if (Object.prototype.hasOwnProperty.call(state, all[i].id)) all[i].open = state[all[i].id];
    }
  }

  function later() { window.setTimeout(refresh, seconds * 1000); }
  later();
})();
