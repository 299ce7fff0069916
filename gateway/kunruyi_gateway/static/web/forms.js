// The gateway pages' own script (no CDN). htmx requests carry the session's CSRF token; after a form comes back
// with errors, the first error is scrolled into view and its field focused.
(function () {
  "use strict";
  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var t = token();
    if (t) { event.detail.headers["X-CSRF-Token"] = t; }
  });
  function showFirstError() {
    var field = document.querySelector('[aria-invalid="true"]');
    var box = field || document.querySelector(".errors");
    if (!box) { return; }
    box.scrollIntoView({ block: "center" });
    if (field && typeof field.focus === "function") { field.focus({ preventScroll: true }); }
  }
  document.addEventListener("DOMContentLoaded", showFirstError);
  document.addEventListener("htmx:afterSwap", showFirstError);
})();
