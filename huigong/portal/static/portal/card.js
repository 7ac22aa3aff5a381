// The member card's QR code is valid for ten minutes. Instead of reloading the whole page (a meta refresh
// moves focus and the reading position and cannot be paused: WCAG 2.2.1), fetch the page in the
// background every data-card-refresh seconds and swap in the new code only. Without JavaScript the
// visible "刷新" link under the card does the same by hand.
(function () {
  "use strict";
  var card = document.querySelector("[data-card-refresh]");
  if (!card || !window.fetch || !window.DOMParser) return;
  var seconds = parseInt(card.getAttribute("data-card-refresh"), 10);
  if (!(seconds > 0)) return;
  function update() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-card-refresh] .p-qr");
        var current = card.querySelector(".p-qr");
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () { /* offline: the code on screen stays until the next try */ });
  }
  window.setInterval(update, seconds * 1000);
})();
