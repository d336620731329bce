// Live progress of a solve run: poll the run's progress and show its figures and its
// charts. The server stores the whole series and draws each objective level's best value
// (solid) and bound (dashed) over time as SVG (`api.web.charts`); this script only puts
// the newest drawing in place while the run is going.
(function () {
  "use strict";
  var root = document.getElementById("run");
  if (!root) { return; }
  var url = root.getAttribute("data-progress-url");
  var finished = root.getAttribute("data-finished") === "true";
  var charts = document.getElementById("charts");
  var drawnPoints = -1;

  function setField(name, text) {
    var node = root.querySelector('[data-field="' + name + '"]');
    if (node) { node.textContent = text; }
  }

  function fmt(value) {
    if (value === null || value === undefined) { return "–"; }
    return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(2);
  }

  function show(p) {
    setField("status", p.status);
    setField("level", p.level || "–");
    setField("best", fmt(p.best));
    setField("bound", fmt(p.bound));
    setField("elapsed", fmt(p.elapsed_s) + " s");
    setField("error", p.error || "");
    if (charts && typeof p.charts_html === "string" && p.points !== drawnPoints) {
      charts.innerHTML = p.charts_html;
      drawnPoints = p.points;
    }
    if (p.finished) {
      var outcome = root.querySelector('[data-field="outcome"]');
      if (outcome && p.version_url && !outcome.querySelector("a")) {
        var link = document.createElement("a");
        link.href = p.version_url;
        link.textContent = p.version_label || "view the new version";
        outcome.appendChild(document.createTextNode(" · "));
        outcome.appendChild(link);
      }
      var cancel = document.getElementById("cancel-form");
      if (cancel) { cancel.hidden = true; }
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        show(p);
        if (!p.finished) { window.setTimeout(poll, 700); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  // A finished run's page already shows everything it recorded; a live one is polled.
  if (finished) { root.setAttribute("data-polled", "none"); return; }
  poll();
}());
