// siteopt's interactive map. This file is static: it never contains data. Everything it shows
// comes from the JSON block #siteopt-data and reaches the page only as text (textContent) or as
// numbers, never as HTML, so no value in a data file can run as a script.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("siteopt-data").textContent);

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // Leaflet writes layer names with innerHTML: hand it text already escaped by the browser.
  function escaped(text) {
    return element("span", null, text).innerHTML;
  }

  function popupContent(item) {
    var box = element("div", "siteopt-popup");
    box.appendChild(element("div", "siteopt-popup-title", item.title));
    var table = element("table");
    item.rows.forEach(function (row) {
      var line = element("tr");
      line.appendChild(element("th", null, row[0]));
      line.appendChild(element("td", null, row[1]));
      table.appendChild(line);
    });
    box.appendChild(table);
    return box;
  }

  // each time a shape is drawn (again after its layer is switched back on, as a new element)
  function onDrawn(layer, prepare) {
    layer.on("add", function () { prepare(layer.getElement()); });
  }

  function bindText(layer, item, sticky) {
    layer.bindTooltip(element("span", null, item.tooltip), {sticky: !!sticky});
    if (item.popup) {
      layer.bindPopup(popupContent(item.popup), {maxWidth: 420});
      // a shape reached with Tab opens its popup with Enter or Space, closes it with Escape
      onDrawn(layer, function (shape) {
        L.DomEvent.on(shape, "keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            layer.openPopup();
            L.DomEvent.preventDefault(event);
          } else if (event.key === "Escape") {
            layer.closePopup();
          }
        });
      });
    }
    return layer;
  }

  // a shape whose tooltip only repeats what the chosen sites' popups say (the coverage rings,
  // the consolidation links) is left out of the Tab order; the mouse still names it
  function outOfTabOrder(layer) {
    onDrawn(layer, function (shape) { shape.setAttribute("tabindex", "-1"); });
    return layer;
  }

  var map = L.map("map", {attributionControl: false, zoomSnap: 0.25});
  L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);

  // context: the countries around the EU in sand (the EU's own are greys), drawn once, under
  // everything, not interactive
  L.geoJSON(data.neighbours, {
    interactive: false,
    style: {fillColor: data.neighbour_fill, color: "#ffffff", weight: 0.8, fillOpacity: 1}
  }).addTo(map);

  var overlays = [];

  // a layer with nothing in it (no other candidate, no link) gets no switch that does nothing
  function overlay(name, build) {
    var group = L.featureGroup();
    build(group);
    group.addTo(map);
    if (group.getLayers().length) { overlays.push([name, group]); }
  }

  overlay(data.layers.countries, function (group) {
    data.countries.forEach(function (country) {
      var shape = L.geoJSON(country.geometry, {
        style: {fillColor: country.fill, color: "#ffffff", weight: 1, fillOpacity: 1}
      });
      bindText(shape, country, true).addTo(group);
    });
  });

  overlay(data.layers.coverage, function (group) {
    data.coverage.forEach(function (area) {
      outOfTabOrder(bindText(L.polygon(area.ring, {color: area.colour, weight: 1, fill: true,
                                                   fillOpacity: 0.12}), area, true))
        .addTo(group);
    });
  });

  overlay(data.layers.links, function (group) {
    data.links.forEach(function (link) {
      outOfTabOrder(bindText(L.polyline(link.path, {color: link.colour, weight: link.weight,
                                                    dashArray: link.dash || null}), link, true))
        .addTo(group);
    });
  });

  // the markers' order from the bottom: other sites, AI Factories, chosen sites (each kind in
  // its own pane, as the static maps draw them)
  ["others", "factories", "chosen"].forEach(function (name, order) {
    map.createPane(name).style.zIndex = 410 + 10 * order;
  });

  function circles(items, pane) {
    return function (group) {
      items.forEach(function (item) {
        bindText(L.circleMarker([item.lat, item.lon], {
          radius: item.radius, color: item.edge, weight: item.edge_width, fill: true,
          fillColor: item.colour, fillOpacity: 1, pane: pane
        }), item).addTo(group);
      });
    };
  }

  // triangles, as on the static maps and in the explorer: an element clipped to a triangle in
  // the item's colour, inside one that outlines it in white
  function triangles(items, pane) {
    return function (group) {
      items.forEach(function (item) {
        var shape = element("span", "siteopt-triangle-fill");
        shape.style.backgroundColor = item.colour;
        var icon = L.divIcon({className: "siteopt-triangle", html: shape,
                              iconSize: [2 * item.radius + 2, 2 * item.radius],
                              iconAnchor: [item.radius + 1, item.radius + 2]});
        bindText(L.marker([item.lat, item.lon], {icon: icon, pane: pane}),
                 item).addTo(group);
      });
    };
  }

  overlay(data.layers.others, circles(data.others, "others"));
  overlay(data.layers.factories, triangles(data.factories, "factories"));
  overlay(data.layers.chosen, circles(data.chosen, "chosen"));

  // country names: permanent labels, text only, that take no clicks
  overlay(data.layers.names, function (group) {
    data.countries.forEach(function (country) {
      L.tooltip({permanent: true, direction: "center", interactive: false,
                 className: "siteopt-country-name"})
        .setLatLng(country.label)
        .setContent(element("span", null, country.name))
        .addTo(group);
    });
  });

  var named = {};
  overlays.forEach(function (pair) { named[escaped(pair[0])] = pair[1]; });
  L.control.layers(null, named, {collapsed: false, position: "topright"}).addTo(map);

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var box = element("div", "siteopt-legend");
    data.legend.forEach(function (section) {
      box.appendChild(element("div", "siteopt-legend-title", section.title));
      section.entries.forEach(function (entry) {
        var line = element("div", "siteopt-legend-entry");
        var swatch = element("span", "siteopt-swatch siteopt-" + entry.shape);
        swatch.style.backgroundColor = entry.colour;
        line.appendChild(swatch);
        line.appendChild(element("span", null, entry.label));
        box.appendChild(line);
      });
    });
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);

  // Tab follows the page's order, not the drawing's: from the map it reaches its switches
  // (zoom, layers) first, then the chosen sites, the other candidates, the AI Factories and
  // the countries. Each pane keeps its z-index, so what is drawn on top does not change.
  var container = map.getContainer();
  container.insertBefore(container.querySelector(".leaflet-control-container"),
                         container.firstChild);
  var mapPane = map.getPane("mapPane");
  ["overlayPane", "factories", "others", "chosen"].forEach(function (name) {
    mapPane.insertBefore(map.getPane(name), mapPane.firstChild);
  });

  document.getElementById("siteopt-credit").textContent = data.credit;

  map.fitBounds(data.bounds, {padding: [4, 4]});
}());
