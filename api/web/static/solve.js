// Live progress of a solve run: poll the run's progress and draw, for each objective
// level, the best value (solid) and the bound (dashed) over elapsed time as inline SVG.
// The server stores only the newest figures, so the history is what this page has seen.
(function () {
  "use strict";
  var root = document.getElementById("run");
  if (!root) { return; }
  var url = root.getAttribute("data-progress-url");
  var finished = root.getAttribute("data-finished") === "true";
  var charts = document.getElementById("charts");
  var series = {};
  var order = [];
  var SVG = "http://www.w3.org/2000/svg";
  var W = 600, H = 220, PAD = 16, LEFT = 64, BOTTOM = 36;

  function setField(name, text) {
    var node = root.querySelector('[data-field="' + name + '"]');
    if (node) { node.textContent = text; }
  }

  function fmt(value) {
    if (value === null || value === undefined) { return "–"; }
    return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(2);
  }

  function record(p) {
    if (!p.level || p.elapsed_s === null) { return; }
    if (!series[p.level]) { series[p.level] = []; order.push(p.level); }
    var points = series[p.level];
    var last = points[points.length - 1];
    if (!last || last.t !== p.elapsed_s || last.best !== p.best || last.bound !== p.bound) {
      points.push({ t: p.elapsed_s, best: p.best, bound: p.bound });
    }
  }

  function el(name, attrs) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function line(points, key, scale, cls) {
    var coords = points.filter(function (p) { return p[key] !== null; })
      .map(function (p) { return scale.x(p.t).toFixed(1) + "," + scale.y(p[key]).toFixed(1); });
    if (coords.length === 1) { coords.push(coords[0]); }
    return el("polyline", { points: coords.join(" "), fill: "none", "stroke-width": 2, "class": cls });
  }

  // A level may be seen only once or twice while polling: mark every point, so even a
  // single reading shows.
  function dots(svg, points, key, scale) {
    points.forEach(function (p) {
      if (p[key] === null) { return; }
      svg.appendChild(el("circle", {
        cx: scale.x(p.t).toFixed(1), cy: scale.y(p[key]).toFixed(1), r: 4, "class": "dot-" + key
      }));
    });
  }

  function draw(level) {
    var points = series[level];
    var values = [];
    points.forEach(function (p) {
      if (p.best !== null) { values.push(p.best); }
      if (p.bound !== null) { values.push(p.bound); }
    });
    if (!values.length) { return; }
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    if (lo === hi) { lo -= 1; hi += 1; }
    var t0 = points[0].t, t1 = Math.max(points[points.length - 1].t, t0 + 1);
    var scale = {
      x: function (t) { return LEFT + (t - t0) / (t1 - t0) * (W - LEFT - PAD); },
      y: function (v) { return H - BOTTOM + (lo - v) / (hi - lo) * (H - BOTTOM - PAD); }
    };
    var last = points[points.length - 1];
    var label = level + ": best " + fmt(last.best) + ", bound " + fmt(last.bound) +
      " after " + fmt(last.t) + " s";
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label });
    var bottom = H - BOTTOM;
    svg.appendChild(el("line", { x1: LEFT, y1: bottom, x2: W - PAD, y2: bottom, "class": "axis" }));
    svg.appendChild(el("line", { x1: LEFT, y1: PAD, x2: LEFT, y2: bottom, "class": "axis" }));
    [[fmt(hi), scale.y(hi)], [fmt(lo), scale.y(lo)]].forEach(function (tick) {
      var text = el("text", { x: LEFT - 6, y: tick[1] + 4, "text-anchor": "end" });
      text.textContent = tick[0];
      svg.appendChild(text);
    });
    var xlabel = el("text", { x: W - PAD, y: H - 10, "text-anchor": "end" });
    xlabel.textContent = "elapsed seconds: " + fmt(t0) + " to " + fmt(t1);
    svg.appendChild(xlabel);
    svg.appendChild(line(points, "bound", scale, "bound"));
    svg.appendChild(line(points, "best", scale, "best"));
    dots(svg, points, "bound", scale);
    dots(svg, points, "best", scale);
    var box = document.getElementById("chart-" + order.indexOf(level));
    if (!box) {
      box = document.createElement("div");
      box.className = "chart-level";
      box.id = "chart-" + order.indexOf(level);
      var heading = document.createElement("h3");
      heading.textContent = level;
      box.appendChild(heading);
      charts.appendChild(box);
    }
    var old = box.querySelector("svg");
    if (old) { box.replaceChild(svg, old); } else { box.appendChild(svg); }
  }

  function show(p) {
    setField("status", p.status);
    setField("level", p.level || "–");
    setField("best", fmt(p.best));
    setField("bound", fmt(p.bound));
    setField("elapsed", fmt(p.elapsed_s) + " s");
    setField("error", p.error || "");
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
        record(p);
        if (p.level) { draw(p.level); }
        show(p);
        if (!p.finished) { window.setTimeout(poll, 700); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  // A finished run is fetched once, to show its final figures; a live one until it ends.
  poll();
  if (finished) { root.setAttribute("data-polled", "once"); }
}());
