// The workers' service-site list: "sort by distance" asks the browser for the position and reloads
// the list with it. Messages come from the button's data attributes (translated by the page).
(function () {
  "use strict";
  var button = document.getElementById("locate");
  if (!button) return;
  button.addEventListener("click", function () {
    var msg = document.getElementById("locate-msg");
    function say(text) { msg.hidden = false; msg.textContent = text; }
    if (!navigator.geolocation) { say(button.dataset.unsupported); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      var u = new URL(window.location.href);
      u.searchParams.set("lat", pos.coords.latitude.toFixed(5));
      u.searchParams.set("lng", pos.coords.longitude.toFixed(5));
      window.location.href = u.toString();
    }, function () { say(button.dataset.denied); }, {timeout: 10000});
  });
})();
