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
})();
