/* geoai web map: draws the data block #geoai-data with Leaflet (inlined before this script).
 * Written for geoai.io.webmap; no request leaves the page (the page's CSP forbids any). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("geoai-data").textContent);
  var svgNs = "http://www.w3.org/2000/svg";

  var map = L.map("geoai-map", { zoomSnap: 0.25, minZoom: 1, maxZoom: 10, worldCopyJump: false });
  [["geoai-countries", 250], ["geoai-flows", 410], ["geoai-metros", 420]].forEach(function (p) {
    map.createPane(p[0]).style.zIndex = String(p[1]);
  });
  map.attributionControl.addAttribution(data.attribution);
  L.control.scale({ imperial: false }).addTo(map);

  L.geoJSON(data.countries, {
    pane: "geoai-countries",
    interactive: false,
    style: {
      fillColor: data.basemap.land, fillOpacity: 1, color: data.basemap.border,
      weight: data.basemap.weight, className: "geoai-country"
    }
  }).addTo(map);

  // One arrowhead per kind of flow, scaled with the line's width (SVG marker-end).
  var defsHost = document.createElementNS(svgNs, "svg");
  defsHost.setAttribute("width", "0");
  defsHost.setAttribute("height", "0");
  defsHost.setAttribute("aria-hidden", "true");
  defsHost.setAttribute("class", "geoai-defs");
  var defs = document.createElementNS(svgNs, "defs");
  defsHost.appendChild(defs);
  document.body.appendChild(defsHost);
  data.flowKinds.forEach(function (kind) {
    var marker = document.createElementNS(svgNs, "marker");
    marker.setAttribute("id", "geoai-arrow-" + kind.key);
    marker.setAttribute("viewBox", "0 0 10 10");
    marker.setAttribute("refX", "8");
    marker.setAttribute("refY", "5");
    marker.setAttribute("markerWidth", "3.5");
    marker.setAttribute("markerHeight", "3.5");
    marker.setAttribute("orient", "auto");
    var head = document.createElementNS(svgNs, "path");
    head.setAttribute("d", "M0,0 L10,5 L0,10 z");
    head.setAttribute("fill", kind.colour);
    marker.appendChild(head);
    defs.appendChild(marker);
  });

  function popup(name, rows) {
    var box = document.createElement("div");
    box.className = "geoai-popup";
    var title = document.createElement("strong");
    title.textContent = name;
    box.appendChild(title);
    var table = document.createElement("table");
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      var td = document.createElement("td");
      th.textContent = row[0];
      td.textContent = row[1];
      tr.appendChild(th);
      tr.appendChild(td);
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  var metroGroups = {};
  var flowGroups = {};
  data.scenarios.forEach(function (sc) {
    var metros = L.layerGroup();
    sc.metros.forEach(function (m) {
      var role = data.roles[m[3]];
      var marker = L.circleMarker([m[0], m[1]], {
        pane: "geoai-metros", radius: m[2], fillColor: role.colour, fillOpacity: 0.9,
        color: "#333333", weight: 0.6, className: "geoai-metro geoai-role-" + role.key
      });
      marker.bindPopup(function () { return popup(m[4], m[5]); }, { maxWidth: 360 });
      marker.bindTooltip(m[4], { direction: "top" });
      metros.addLayer(marker);
    });
    metroGroups[sc.name] = metros;
    flowGroups[sc.name] = {};
    data.flowKinds.forEach(function (kind) {
      var lines = L.layerGroup();
      (sc.flows[kind.key] || []).forEach(function (f) {
        var line = L.polyline(f[0], {
          pane: "geoai-flows", weight: f[1], color: kind.colour, opacity: 0.75,
          lineCap: "butt", className: "geoai-flow geoai-flow-" + kind.key
        });
        line.on("add", function () {
          line.getElement().setAttribute("marker-end", "url(#geoai-arrow-" + kind.key + ")");
        });
        line.bindTooltip(f[2], { sticky: true });
        lines.addLayer(line);
      });
      flowGroups[sc.name][kind.key] = lines;
    });
  });

  // The flows shown follow the scenario: one overlay per kind, refilled on every switch.
  var overlays = {};
  var overlayByKind = {};
  data.flowKinds.forEach(function (kind) {
    overlayByKind[kind.key] = L.layerGroup();
    overlays[kind.label] = overlayByKind[kind.key];
  });
  data.flowKinds.slice().reverse().forEach(function (kind) {
    overlayByKind[kind.key].addTo(map);
  });
  function showFlows(name) {
    data.flowKinds.slice().reverse().forEach(function (kind) {  // the first kind on top
      var holder = overlayByKind[kind.key];
      holder.clearLayers();
      holder.addLayer(flowGroups[name][kind.key]);
    });
    document.body.setAttribute("data-scenario", name);
  }

  var names = data.scenarios.map(function (sc) { return sc.name; });
  var wanted = /(?:^#|&)scenario=([^&]*)/.exec(window.location.hash || "");
  var first = wanted ? decodeURIComponent(wanted[1]) : names[0];
  if (names.indexOf(first) < 0) { first = names[0]; }
  var bases = {};
  names.forEach(function (name) { bases[name] = metroGroups[name]; });
  metroGroups[first].addTo(map);
  showFlows(first);
  L.control.layers(bases, overlays, { collapsed: false, position: "topright" }).addTo(map);
  map.on("baselayerchange", function (e) {
    showFlows(e.name);
    try {
      window.history.replaceState(null, "", "#scenario=" + encodeURIComponent(e.name));
    } catch (err) { /* a file opened from a read-only place: the link just does not follow */ }
  });

  // Legend: roles, marker size, the width of each kind of flow in its own unit.
  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "geoai-legend");
    var h = L.DomUtil.create("div", "geoai-legend-title", box);
    h.textContent = data.legend.roles;
    data.roles.forEach(function (role) {
      var row = L.DomUtil.create("div", "geoai-legend-row", box);
      var dot = L.DomUtil.create("span", "geoai-legend-dot", row);
      dot.style.background = role.colour;
      row.appendChild(document.createTextNode(role.label));
    });
    var size = L.DomUtil.create("div", "geoai-legend-note", box);
    size.textContent = data.legend.size;
    data.flowKinds.forEach(function (kind) {
      var t = L.DomUtil.create("div", "geoai-legend-title", box);
      t.textContent = kind.label + " (" + kind.unit + ")";
      kind.legend.forEach(function (sample) {
        var row = L.DomUtil.create("div", "geoai-legend-row", box);
        var bar = L.DomUtil.create("span", "geoai-legend-line", row);
        bar.style.borderTopWidth = sample[0] + "px";
        bar.style.borderTopColor = kind.colour;
        row.appendChild(document.createTextNode(sample[1]));
      });
    });
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  legend.addTo(map);

  map.fitBounds(data.bounds, { padding: [24, 24] });
  document.body.setAttribute("data-ready", "1");
})();
