// The offline map of places: Leaflet over Natural Earth outlines (world-atlas), no tile
// server. The places come from the page's JSON data block; each marker is coloured by the
// site's status and links to the place's page. The table beside the map holds the same.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("map");
  const block = document.getElementById("places-data");
  if (!box || !block || typeof L === "undefined" || typeof topojson === "undefined") return;
  const places = JSON.parse(block.textContent || "[]");
  // Zoom buttons labelled in the page's language; the data's name kept in English.
  const map = L.map(box, { attributionControl: true, zoomControl: false, zoomSnap: 0.5 });
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut })
    .addTo(map);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('<span lang="en" dir="ltr">Natural Earth</span>');
  const colours = { intact: "#1b7f3b", damaged: "#b26a00", destroyed: "#b3261e",
                    built_over: "#6b3fa0", unknown: "#4a5561" };
  fetch(box.dataset.outlines).then((r) => r.json()).then((world) => {
    const land = topojson.feature(world, world.objects.countries);
    L.geoJSON(land, { style: { color: "#8c96a1", weight: 0.7, fillColor: "#e9edf1",
                               fillOpacity: 1 }, interactive: false }).addTo(map);
  }).catch(() => {});
  const points = [];
  for (const p of places) {
    const marker = L.circleMarker([p.lat, p.lon], {
      radius: 7, weight: 2, color: "#ffffff", fillColor: colours[p.status] || colours.unknown,
      fillOpacity: 0.95 });
    const link = document.createElement("a");
    link.href = box.dataset.link + encodeURIComponent(p.id);
    link.textContent = p.name || p.id;
    link.dir = "auto";
    marker.bindPopup(link);
    marker.addTo(map);
    points.push([p.lat, p.lon]);
  }
  if (points.length > 1) {
    map.fitBounds(points, { padding: [30, 30], maxZoom: 8 });
  } else if (points.length === 1) {
    map.setView(points[0], 7);
  } else {
    map.setView([32.5, 53.7], 5);  // Iran
  }
});
