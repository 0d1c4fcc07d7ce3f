/* tocsin operator pages: progressive enhancement only — every page works without this file.
   1. The report page's map (Leaflet, served by this site): the reported point and the other reports of
      its cluster. Tiles only when the deployment configured a tile server (data-tile-url).
   2. The queue reloads itself every data-refresh seconds while the tab is visible and nobody is typing
      or has a menu open, so new reports appear without losing anything. */
(function () {
  "use strict";

  function initMap(el) {
    if (!window.L) return;
    var d = el.dataset;
    var lat = parseFloat(d.lat), lon = parseFloat(d.lon);
    if (!isFinite(lat) || !isFinite(lon)) return;
    var map = L.map(el, { zoomSnap: 0.5, maxZoom: 18, attributionControl: true });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" rel="noopener">Leaflet</a>');
    if (d.tileUrl) {
      L.tileLayer(d.tileUrl, { maxZoom: 18, attribution: escapeHtml(d.tileAttribution || "") }).addTo(map);
      el.classList.add("has-tiles");
    }
    var points = [[lat, lon]];
    L.circleMarker([lat, lon], { radius: 9, color: "#b42318", weight: 3, fillColor: "#b42318", fillOpacity: 0.5 })
      .addTo(map);
    (d.members || "").split(";").forEach(function (part) {
      var bits = part.split(",");
      if (bits.length !== 3) return;
      var mlat = parseFloat(bits[0]), mlon = parseFloat(bits[1]), id = parseInt(bits[2], 10);
      if (!isFinite(mlat) || !isFinite(mlon) || !isFinite(id)) return;
      points.push([mlat, mlon]);
      L.circleMarker([mlat, mlon], { radius: 6, color: "#1849a9", weight: 2, fillOpacity: 0.35 })
        .bindTooltip("#" + id)
        .on("click", function () { window.location.href = "/ops/reports/" + id; })
        .addTo(map);
    });
    if (points.length > 1) map.fitBounds(points, { padding: [30, 30], maxZoom: 17 });
    else map.setView([lat, lon], 15);
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function busy() {
    var a = document.activeElement;
    return a && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(a.tagName);
  }

  function autoRefresh(list) {
    var seconds = parseInt(list.getAttribute("data-refresh"), 10);
    if (!(seconds >= 15)) return;
    window.setInterval(function () {
      if (document.visibilityState === "visible" && !busy()) window.location.reload();
    }, seconds * 1000);
  }

  function start() {
    var maps = document.querySelectorAll(".ops-map");
    for (var i = 0; i < maps.length; i++) initMap(maps[i]);
    var queue = document.querySelector("[data-refresh]");
    if (queue) autoRefresh(queue);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
