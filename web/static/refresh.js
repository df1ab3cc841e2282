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
          var focused = focusPlace();
          region.innerHTML = replacement.innerHTML;
          restore(shown);
          refocus(focused);
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

  // Keyboard focus stays where it was: on the same control of the same alert (found by the
  // nearest id and its place among that element's controls), so a keyboard or screen-reader
  // user is not thrown back to the top of the page every 30 seconds.
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function focusPlace() {
    var active = document.activeElement;
    if (!active || active === document.body || !region.contains(active)) return null;
    if (active.id) return { id: active.id, index: -1 };
    var anchor = active.parentElement ? active.parentElement.closest("[id]") : null;
    if (!anchor || !region.contains(anchor)) return null;
    var controls = anchor.querySelectorAll(FOCUSABLE);
    return { id: anchor.id, index: Array.prototype.indexOf.call(controls, active) };
  }

  function refocus(place) {
    if (!place) return;
    var anchor = document.getElementById(place.id);
    if (!anchor) return;
    var target = place.index < 0 ? anchor : anchor.querySelectorAll(FOCUSABLE)[place.index];
    if (target && typeof target.focus === "function") target.focus({ preventScroll: true });
  }

  function later() { window.setTimeout(refresh, seconds * 1000); }
  later();
})();
