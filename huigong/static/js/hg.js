// Behaviour that pages declare with data attributes, so that no page needs an inline script or an
// inline event handler (the Content-Security-Policy forbids both). Loaded by the console's and the
// portal's base templates.
(function () {
  "use strict";
  // <form data-confirm="…">: ask before submitting (capture phase: before htmx sees the submit).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute ? form.getAttribute("data-confirm") : null;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // <select data-autosubmit>: a filter that applies as soon as it is changed.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      if (field.form.requestSubmit) { field.form.requestSubmit(); } else { field.form.submit(); }
    }
  });
  // Console menu sections (<details data-nav-group>): the ones a user opened stay open on the next page
  // (the section holding the current page opens by itself). Remembered on click only, which a keyboard's
  // Enter or Space on the <summary> also fires, not on the initial "toggle" of an open section.
  var NAV_KEY = "hg.nav.open";
  function navOpened() {
    try { return JSON.parse(window.localStorage.getItem(NAV_KEY) || "[]"); } catch (e) { return []; }
  }
  document.addEventListener("click", function (event) {
    var summary = event.target && event.target.closest ? event.target.closest("details[data-nav-group] > summary") : null;
    if (!summary) { return; }
    var details = summary.parentElement, name = details.getAttribute("data-nav-group");
    var opened = navOpened().filter(function (n) { return n !== name; });
    if (!details.open) { opened.push(name); }  // about to open
    try { window.localStorage.setItem(NAV_KEY, JSON.stringify(opened)); } catch (e) { /* private mode */ }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var opened = navOpened();
    document.querySelectorAll("details[data-nav-group]").forEach(function (details) {
      if (opened.indexOf(details.getAttribute("data-nav-group")) !== -1) { details.open = true; }
    });
  });
})();
