// The one offline map of places, for the workspace and the memorial alike: Leaflet over
// Natural Earth outlines (world-atlas), no tile server. It must work from file:// (the
// memorial on a USB stick), where fetch and modules are blocked, so the outlines
// (map/outlines.js) and the places arrive as classic scripts calling the two global
// callbacks below (dadkhahiOutlines, dadkhahiPlaces), in whichever order they load.
// Each marker is coloured by the site's status; its popup names the place and, when the
// map's box has data-link, links to the place's page (data-link + the place's ID). The
// table on the page holds the same places; without JavaScript it is the page. When the
// map is drawn, the box's data-markers says how many places it shows. ES5 on purpose.
(function () {
  "use strict";
  var map = null;
  var outlines = null;
  var places = null;
  var colours = { intact: "#1b7f3b", damaged: "#b26a00", destroyed: "#b3261e",
                  built_over: "#6b3fa0", unknown: "#4a5561" };

  function popup(box, p) {
    var link = box.getAttribute("data-link");
    var label = document.createElement(link ? "a" : "span");
    if (link) { label.href = link + encodeURIComponent(p.id); }
    label.textContent = p.name || p.id;
    label.dir = "auto";
    return label;
  }

  function draw() {
    var box = document.getElementById("map");
    if (!box || map || outlines === null || places === null || typeof L === "undefined" ||
        typeof topojson === "undefined") { return; }
    // Zoom buttons labelled in the page's language.
    map = L.map(box, { attributionControl: true, zoomControl: false, zoomSnap: 0.5 });
    L.control.zoom({ zoomInTitle: box.getAttribute("data-zoom-in"),
                     zoomOutTitle: box.getAttribute("data-zoom-out") }).addTo(map);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution('<span lang="en" dir="ltr">Natural Earth</span>');
    var points = [];
    for (var i = 0; i < places.length; i++) { points.push([places[i].lat, places[i].lon]); }
    // The view first: Leaflet cannot draw a vector layer on a map without one.
    if (points.length > 1) {
      map.fitBounds(points, { padding: [30, 30], maxZoom: 6 });
    } else if (points.length === 1) {
      map.setView(points[0], 7);
    } else {
      map.setView([32.5, 53.7], 5);  // Iran
    }
    L.geoJSON(topojson.feature(outlines, outlines.objects.countries), {
      style: { color: "#8c96a1", weight: 0.7, fillColor: "#e9edf1", fillOpacity: 1 },
      interactive: false }).addTo(map);
    for (var j = 0; j < places.length; j++) {
      var p = places[j];
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: 7, weight: 2, color: "#ffffff",
        fillColor: colours[p.status] || colours.unknown, fillOpacity: 0.95 });
      marker.bindPopup(popup(box, p));
      marker.addTo(map);
    }
    box.setAttribute("data-markers", String(points.length));
  }

  window.dadkhahiOutlines = function (world) { outlines = world; draw(); };
  window.dadkhahiPlaces = function (list) { places = list; draw(); };
  document.addEventListener("DOMContentLoaded", draw);
})();
