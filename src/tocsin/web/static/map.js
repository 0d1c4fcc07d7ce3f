/* tocsin home map: region markers from the JSON API (/api/v1/regions), sized by incident counts and
   coloured by the current alert status; above them, residents' reports of the last 7 days
   (/api/v1/public-reports: only what the publication policy makes public, already coarsened by the
   server), small dots coloured by category. Works without any tile server (TOCSIN_TILE_URL unset): the
   markers and their labels are the map. Leaflet is served by this site from the xstatic-leaflet package. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L || !window.fetch) return;

  var d = el.dataset;
  var lang = d.lang || "en";
  var COLORS = { danger: "#b42318", clear: "#067647", none: "#667085" };
  var MAX_LABELS = 12;
  var state = { window: "24h", items: [], layer: null };

  var map = L.map(el, {
    zoomSnap: 0.5,
    minZoom: 3,
    maxZoom: 10,
    worldCopyJump: false,
    attributionControl: true
  });
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" rel="noopener">Leaflet</a>'
  );
  if (d.tileUrl) {
    L.tileLayer(d.tileUrl, { maxZoom: 10, attribution: escapeHtml(d.tileAttribution || "") }).addTo(map);
    el.classList.add("has-tiles");
  }
  map.setView([52, 38], 4);

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function count(item) {
    return state.window === "24h" ? item.incidents_24h || 0 : item.incidents_7d || 0;
  }

  function nameOf(item) {
    var names = item.names || item.region || {};
    return names[lang] || names.en || item.iso;
  }

  function radius(n, status) {
    return n > 0 ? 6 + 4 * Math.sqrt(n) : status === "danger" ? 6 : 3;
  }

  function weight(it) {  // whose label wins when labels would overlap: danger alerts, then the busiest
    return (it.status === "danger" ? 1e6 : 0) + count(it);
  }

  function draw() {
    if (state.layer) state.layer.remove();
    var layer = L.featureGroup();
    var labels = [];
    var placed = state.items
      .filter(function (it) { return typeof it.lat === "number" && typeof it.lon === "number"; })
      .sort(function (a, b) { return count(a) - count(b); });  // big circles drawn last, on top
    var labelled = placed.slice().filter(function (it) { return count(it) > 0 || it.status === "danger"; })
      .sort(function (a, b) { return weight(b) - weight(a); }).slice(0, MAX_LABELS)
      .map(function (it) { return it.iso; });
    placed.forEach(function (it) {
      var n = count(it);
      var status = it.status || "none";
      var color = COLORS[status] || COLORS.none;
      var marker = L.circleMarker([it.lat, it.lon], {
        radius: radius(n, status),
        color: n > 0 || status !== "none" ? color : "#98a2b3",
        weight: n > 0 ? 2 : 1,
        fillColor: color,
        fillOpacity: n > 0 ? 0.55 : (status === "none" ? 0.15 : 0.5),
        className: "region-marker status-" + status
      });
      var label = escapeHtml(nameOf(it));
      var line = n + " " + escapeHtml(d.labelIncidents || "incidents") + " (" +
        escapeHtml(state.window === "24h" ? d.label24h : d.label7d) + ")";
      var st = it.status === "danger" ? d.labelDanger : it.status === "clear" ? d.labelClear : "";
      marker.bindTooltip(
        "<strong>" + label + "</strong><br>" + line + (st ? "<br>" + escapeHtml(st) : ""),
        { direction: "top", sticky: false }
      );
      if (labelled.indexOf(it.iso) !== -1) {
        labels.push(L.tooltip({
          permanent: true, direction: "right", className: "map-label", offset: [radius(n, status), 0],
          interactive: false
        }).setLatLng([it.lat, it.lon]).setContent(label + " · " + n));
        labels[labels.length - 1]._weight = weight(it);
      }
      marker.on("click", function () { window.location.href = "/regions/" + encodeURIComponent(it.iso); });
      layer.addLayer(marker);
    });
    labels.sort(function (a, b) { return b._weight - a._weight; });
    labels.forEach(function (t) { layer.addLayer(t); });
    layer.addTo(map);
    state.layer = layer;
    declutter();
  }

  function fit() {
    // Zoom to where something happened this week (or a danger alert is on); the other region dots stay
    // around it. Nothing active: the European part of Russia and Ukraine.
    var located = state.items.filter(function (it) { return typeof it.lat === "number"; });
    var active = located.filter(function (it) { return (it.incidents_7d || 0) > 0 || it.status === "danger"; });
    var pts = (active.length ? active : located.filter(function (it) { return it.lon < 60; }))
      .map(function (it) { return [it.lat, it.lon]; });
    if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(active.length > 1 ? 0.15 : 0.6), { maxZoom: 7 });
  }

  // Permanent labels that would overlap a bigger region's label are hidden (their tooltip still works).
  function declutter() {
    var kept = [];
    var labels = el.querySelectorAll(".map-label");
    Array.prototype.forEach.call(labels, function (node) {
      node.classList.remove("map-label-hidden");
    });
    Array.prototype.forEach.call(labels, function (node) {
      var r = node.getBoundingClientRect();
      var clash = kept.some(function (k) {
        return r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top;
      });
      if (clash) node.classList.add("map-label-hidden");
      else kept.push(r);
    });
  }
  map.on("zoomend moveend", declutter);

  var buttons = document.querySelectorAll(".map-window button");
  Array.prototype.forEach.call(buttons, function (b) {
    b.addEventListener("click", function () {
      state.window = b.getAttribute("data-window");
      Array.prototype.forEach.call(buttons, function (o) {
        o.setAttribute("aria-pressed", String(o === b));
      });
      draw();
    });
  });

  // ------------------------------------------------------------------------------ residents' reports
  // Reports at one public point (coarse locations put many on the same settlement centre) share one dot,
  // coloured by the most urgent category there; its popup lists them.
  var REPORT_DAYS = 7;
  var REPORT_PAGES = 10;  // at most 10 pages of 500 reports
  var REPORT_POPUP_ITEMS = 5;
  var CATEGORY_ORDER = ["injured", "fire", "suspicious_object", "debris", "damage", "other"];

  function parseData(name) {
    try { return JSON.parse(d[name] || "{}"); } catch (e) { return {}; }
  }
  var reportColors = parseData("reportColors");
  var reportLabels = parseData("reportLabels");

  function label(group, key) {
    var g = reportLabels[group] || {};
    return g[key] || key;
  }

  function when(iso) {
    var t = new Date(iso);
    if (!iso || isNaN(t.getTime())) return "";
    try {
      return t.toLocaleString(lang, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return t.toISOString().slice(0, 16).replace("T", " ");
    }
  }

  function reportLine(p) {
    var parts = ["<strong>" + escapeHtml(label("categories", p.category)) + "</strong>",
      escapeHtml(label("statuses", p.status))];
    if (p.place) parts.push(escapeHtml(p.place));
    if (p.observed) parts.push('<time datetime="' + escapeHtml(p.observed) + '">' + escapeHtml(when(p.observed)) + "</time>");
    if (typeof p.incident_id === "number") {
      parts.push('<a href="/incidents/' + encodeURIComponent(p.incident_id) + '">' +
        escapeHtml(reportLabels.incident || "Incident") + "</a>");
    }
    return parts.join(" · ");
  }

  function drawReports(features) {
    var groups = {};
    var keys = [];
    features.forEach(function (f) {
      var g = f && f.geometry;
      if (!g || g.type !== "Point" || !g.coordinates) return;
      var lon = g.coordinates[0], lat = g.coordinates[1];
      if (typeof lat !== "number" || typeof lon !== "number") return;
      var key = lat.toFixed(6) + "," + lon.toFixed(6);
      if (!groups[key]) { groups[key] = { lat: lat, lon: lon, items: [] }; keys.push(key); }
      groups[key].items.push(f.properties || {});
    });
    el.setAttribute("data-reports-loaded", String(features.length));
    if (!keys.length) return;
    var pane = map.getPane("reports") || map.createPane("reports");
    pane.style.zIndex = 450;  // above the region circles (400), below tooltips and popups
    var layer = L.featureGroup();
    keys.forEach(function (key) {
      var grp = groups[key];
      grp.items.sort(function (a, b) {
        var ca = CATEGORY_ORDER.indexOf(a.category), cb = CATEGORY_ORDER.indexOf(b.category);
        return ca !== cb ? ca - cb : String(b.observed || "").localeCompare(String(a.observed || ""));
      });
      var top = grp.items[0];
      var n = grp.items.length;
      var marker = L.circleMarker([grp.lat, grp.lon], {
        pane: "reports",
        radius: 4 + Math.min(6, Math.sqrt(n) * 1.5),
        color: "#ffffff",
        weight: 1.5,
        fillColor: reportColors[top.category] || "#475467",
        fillOpacity: 0.9,
        className: "report-marker category-" + String(top.category).replace(/[^a-z_]/g, "")
      });
      var lines = grp.items.slice(0, REPORT_POPUP_ITEMS).map(reportLine);
      if (n > REPORT_POPUP_ITEMS) {
        lines.push("+" + (n - REPORT_POPUP_ITEMS) + " " + escapeHtml(reportLabels.more || "more"));
      }
      var head = escapeHtml(n === 1 ? reportLabels.title || "Resident report"
        : (reportLabels.reports || "Resident reports") + ": " + n);
      var precision = top.precision ? "<br><small>" + escapeHtml(label("precision", top.precision)) + "</small>" : "";
      marker.bindPopup("<strong>" + head + "</strong>" + precision + "<br><small>" + lines.join("<br>") + "</small>",
        { maxWidth: 260, maxHeight: 220, className: "report-popup" });
      layer.addLayer(marker);
    });
    layer.addTo(map);
  }

  function loadReports() {
    if (!d.reportsSrc) return;
    var since = new Date(Date.now() - REPORT_DAYS * 864e5).toISOString();
    var features = [];
    function page(cursor, left) {
      var url = d.reportsSrc + "?limit=500&since=" + encodeURIComponent(since) +
        (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return fetch(url, { headers: { Accept: "application/geo+json, application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (data) {
          features = features.concat(Array.isArray(data.features) ? data.features : []);
          if (data.next_cursor && left > 1) return page(data.next_cursor, left - 1);
          return features;
        });
    }
    page(null, REPORT_PAGES)
      .then(drawReports)
      .catch(function () {
        var p = document.createElement("p");
        p.className = "map-note map-error";
        p.textContent = d.labelReportsError || "Resident reports could not be loaded.";
        el.appendChild(p);
      });
  }

  fetch(d.src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(function (data) {
      state.items = Array.isArray(data) ? data : data.items || [];
      var group = document.querySelector(".map-window");
      if (group) group.hidden = false;
      el.setAttribute("data-loaded", String(state.items.length));
      draw();
      fit();
      loadReports();
    })
    .catch(function () {
      var p = document.createElement("p");
      p.className = "map-note map-error";
      p.textContent = d.labelError || "The map data could not be loaded.";
      el.appendChild(p);
    });
})();
