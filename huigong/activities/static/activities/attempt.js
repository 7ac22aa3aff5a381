// The contest attempt's countdown: submits the answers when the time is up (the server holds the deadline).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-countdown]");
    var form = document.getElementById("attempt-form");
    if (!el || !form) { return; }
    var left = parseInt(el.getAttribute("data-countdown"), 10) || 0;
    var timer = setInterval(function () {
      left -= 1;
      el.textContent = String(Math.max(0, left));
      if (left <= 0) { clearInterval(timer); form.submit(); }
    }, 1000);
  });
}());
