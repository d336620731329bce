// A what-if search's page: poll how far the search is; when it ends, load the page again
// so the server shows the verified suggestions with their Apply buttons.
(function () {
  "use strict";
  var root = document.getElementById("whatif");
  if (!root || root.getAttribute("data-finished") === "true") { return; }
  var url = root.getAttribute("data-progress-url");

  function setField(name, value) {
    var node = root.querySelector('[data-field="' + name + '"]');
    if (node) { node.textContent = value === null || value === undefined ? "–" : String(value); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        setField("status", p.status);
        setField("tried", p.tried);
        setField("proposals", p.proposals);
        setField("found", p.found);
        setField("elapsed", (p.elapsed_s === null ? "–" : p.elapsed_s.toFixed(1)) + " s");
        setField("error", p.error || "");
        if (p.finished) { window.location.reload(); } else { window.setTimeout(poll, 700); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  poll();
}());
