// The union tree: each row's arrow button shows or hides its children (htmx loads them on the first
// click). aria-expanded tells screen readers the state; Enter and Space work as on any button.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.tree-expand");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    var children = document.getElementById(button.getAttribute("aria-controls"));
    if (children) children.hidden = open;
  });
})();
