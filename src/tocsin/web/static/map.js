/* tocsin home map: region markers from the JSON API (/api/v1/regions), sized by incident counts and
   coloured by the current alert status. Works without any tile server (TOCSIN_TILE_URL unset): the
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
    })
    .catch(function () {
      var p = document.createElement("p");
      p.className = "map-note map-error";
      p.textContent = d.labelError || "The map data could not be loaded.";
      el.appendChild(p);
    });
})();
