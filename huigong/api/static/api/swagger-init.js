// Starts Swagger UI from the settings embedded in the page (no inline script, so the page's
// Content-Security-Policy can forbid them). Session writes carry Django's CSRF token.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrfToken = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  config.requestInterceptor = function (req) {
    if (csrfToken && !/^(GET|HEAD|OPTIONS)$/i.test(req.method || "GET")) {
      req.headers["X-CSRFToken"] = csrfToken;
    }
    return req;
  };
  window.ui = SwaggerUIBundle(config);
})();
