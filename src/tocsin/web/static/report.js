/* tocsin report form: what JavaScript adds to a form that works without it.
   - the local time: fills "When" with now, and sends the device's UTC offset for the time entered;
   - a map to pick the point (Leaflet, served by this site; tiles only when the deployment set
     TOCSIN_TILE_URL, else the regions' centres, given in the page, for orientation), and "use my location";
   - names the picked point and the typed place from the site's own offline settlement list;
   - warns when more photos are chosen than the form takes.
   Every label comes from data- attributes (translated by the server). */
(function () {
  "use strict";
  var form = document.querySelector("form.report-form");
  if (!form || !document.getElementById("observed_at")) return;

  function $(id) { return document.getElementById(id); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localValue(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // ------------------------------------------------------------------ time
  var when = $("observed_at");
  var tz = $("tz_offset");
  var now = new Date();
  if (!when.value) when.value = localValue(now);
  when.max = localValue(new Date(now.getTime() + 10 * 60000));
  when.min = localValue(new Date(now.getTime() - 7 * 24 * 3600000));
  function setOffset() {
    var d = when.value ? new Date(when.value) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    tz.value = String(-d.getTimezoneOffset());  // minutes east of UTC, for the time entered
  }
  setOffset();
  when.addEventListener("change", setOffset);

  // ------------------------------------------------------------------ photos
  var photos = $("photos");
  if (photos) {
    var warn = document.createElement("p");
    warn.className = "field-error";
    warn.hidden = true;
    warn.setAttribute("aria-live", "polite");
    photos.parentNode.insertBefore(warn, photos.nextSibling);
    photos.addEventListener("change", function () {
      var max = parseInt(photos.getAttribute("data-max") || "5", 10);
      var tooMany = photos.files && photos.files.length > max;
      warn.textContent = tooMany ? photos.getAttribute("data-label-too-many") : "";
      warn.hidden = !tooMany;
    });
  }

  form.addEventListener("submit", function (event) {
    setOffset();
    var max = photos ? parseInt(photos.getAttribute("data-max") || "5", 10) : 5;
    if (photos && photos.files && photos.files.length > max) {
      event.preventDefault();
      photos.focus();
    }
  });

  var summary = $("error-summary");
  if (summary) summary.focus();

  // ------------------------------------------------------------------ place names
  var text = $("location_text");
  var found = $("place-found");
  var box = $("map-pick");
  var d = box ? box.dataset : {};

  function getJSON(url, done) {
    if (!window.fetch) return;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) done(data); })
      .catch(function () {});
  }

  if (text && found) {
    text.addEventListener("change", function () {
      var q = text.value.trim();
      if (!q) { found.hidden = true; return; }
      getJSON("/api/v1/reports/places/resolve?q=" + encodeURIComponent(q.slice(0, 200)), function (data) {
        found.textContent = data.place ? (d.labelFound || "Found:") + " " + data.place.name :
          (d.labelNotFound || "");
        found.hidden = !found.textContent;
      });
    });
  }

  // ------------------------------------------------------------------ map and location
  if (!box || !window.L) return;
  box.hidden = false;
  var lat = $("lat"), lon = $("lon"), source = $("location_source");
  var status = $("map-status");
  var clearBtn = $("clear-point");
  var locateBtn = $("use-location");
  var el = $("report-map");

  var map = L.map(el, { zoomSnap: 0.5, minZoom: 3, maxZoom: 18, attributionControl: true });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" rel="noopener">Leaflet</a>');
  if (d.tileUrl) {
    L.tileLayer(d.tileUrl, { maxZoom: 18, attribution: escapeHtml(d.tileAttribution || "") }).addTo(map);
    el.classList.add("has-tiles");
  } else {
    status.textContent = d.labelNoTiles || "";
    regionDots();
  }
  map.setView([52, 36], 4);

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function regionDots() {  // from the page itself: no request that a quick submit could cut short
    var items = [];
    try { items = JSON.parse(d.regions || "[]"); } catch (e) { items = []; }
    items.forEach(function (it) {  // [iso, name, lat, lon]
      L.circleMarker([it[2], it[3]], { radius: 3, color: "#667085", weight: 1, fillOpacity: 0.4 })
        .bindTooltip(escapeHtml(it[1] || it[0])).addTo(map)
        .on("click", function (e) { pick(e.latlng.lat, e.latlng.lng, "map"); });
    });
  }

  var marker = null;
  function pick(la, lo, how, zoom) {
    la = Math.round(la * 1e6) / 1e6;
    lo = Math.round(lo * 1e6) / 1e6;
    lat.value = String(la);
    lon.value = String(lo);
    source.value = how;
    if (marker) marker.setLatLng([la, lo]);
    else marker = L.circleMarker([la, lo], { radius: 9, color: "#7a1b12", weight: 3, fillOpacity: 0.35 }).addTo(map);
    if (zoom) map.setView([la, lo], Math.max(map.getZoom(), zoom));
    clearBtn.hidden = false;
    var label = how === "device" ? d.labelLocated : d.labelPicked;
    status.textContent = label + " " + la.toFixed(5) + ", " + lo.toFixed(5);
    getJSON("/api/v1/reports/places/nearest?lat=" + la + "&lon=" + lo, function (data) {
      if (data.place && lat.value === String(la) && lon.value === String(lo)) {
        status.textContent = label + " " + la.toFixed(5) + ", " + lo.toFixed(5) + " — " +
          (d.labelNear || "near") + " " + data.place.name;
      }
    });
  }

  function clear() {
    lat.value = lon.value = source.value = "";
    if (marker) { marker.remove(); marker = null; }
    clearBtn.hidden = true;
    status.textContent = d.tileUrl ? "" : d.labelNoTiles || "";
  }

  map.on("click", function (e) { pick(e.latlng.lat, e.latlng.lng, "map"); });
  clearBtn.addEventListener("click", clear);

  if (navigator.geolocation) {
    locateBtn.addEventListener("click", function () {
      status.textContent = d.labelLocating || "";
      navigator.geolocation.getCurrentPosition(
        function (pos) { pick(pos.coords.latitude, pos.coords.longitude, "device", 15); },
        function () { status.textContent = d.labelGeoError || ""; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  } else {
    locateBtn.hidden = true;
  }

  // A point kept from an earlier attempt (the form came back with something to fix).
  var la0 = parseFloat(lat.value), lo0 = parseFloat(lon.value);
  if (isFinite(la0) && isFinite(lo0)) pick(la0, lo0, source.value === "device" ? "device" : "map", 13);
})();
