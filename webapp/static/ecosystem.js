// The ecosystem page's network, drawn with Cytoscape.js (served from this site, see
// static/vendor) from the JSON of the page's own URL state. Progressive enhancement only:
// the same actors and links are in the page's tables, which work without this file.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box || typeof window.cytoscape !== "function" || !window.fetch) {
    return;
  }
  var tip = document.getElementById("graph-tip");
  var sizeBy = box.getAttribute("data-size-by") === "projects" ? "projects" : "sek";
  var colours = {
    organisation: "#1f5fa8",
    funder: "#b5540b",
    facility: "#2e7d32",
    person: "#6a3d9a",
    subject: "#7a7a00"
  };
  var lang = document.documentElement.lang === "sv" ? "sv-SE" : "en-GB";
  // Cytoscape adds a <style> element unless one with this id exists; the site's CSP refuses
  // inline styles, and style.css already gives .graph the one rule it would add.
  if (!document.getElementById("__________cytoscape_stylesheet")) {
    var mark = document.createElement("meta");
    mark.id = "__________cytoscape_stylesheet";
    document.head.appendChild(mark);
  }

  function figures(d) {
    var sek = Math.round(d.sek).toLocaleString(lang);
    return d.label + ": " + d.projects + (lang === "sv-SE" ? " projekt, " : " projects, ") +
      sek + (lang === "sv-SE" ? " kr" : " SEK");
  }

  var FORCE = { nodeRepulsion: 6000, idealEdgeLength: 60, numIter: 600 };
  var LAYOUT_WAIT = 30000;  // ms the worker may take before the first picture stays

  // ``how``: where the force layout ran (worker, page) or "first" when it could not run
  function drawn(cy, how) {
    box.setAttribute("data-layout-by", how);
    box.setAttribute("data-drawn", String(cy.nodes().length));
  }

  // The force layout: in a worker (see ecosystem-layout.js), then the nodes glide to where it
  // put them; without workers, on this thread a few iterations per frame.
  function settle(cy, elements) {
    var worker = null;
    try {
      worker = window.Worker ? new window.Worker(box.getAttribute("data-layout")) : null;
    } catch (e) {
      worker = null;
    }
    if (!worker) {
      var here = cy.layout(Object.assign({ name: "cose", animate: true, refresh: 10,
        randomize: false, animationThreshold: 0 }, FORCE));
      here.one("layoutstop", function () { drawn(cy, "page"); });
      here.run();
      return;
    }
    var settled = false;
    function done(positions) {  // once: the worker's answer, its failure or the time-out
      if (settled) { return; }
      settled = true;
      window.clearTimeout(timer);
      worker.terminate();
      if (!positions) {
        drawn(cy, "first");  // the first picture stays
        return;
      }
      // the nodes glide; the view then fits at once, so nothing moves once drawn is said
      var moved = cy.layout({ name: "preset", positions: positions, fit: false,
        animate: true, animationDuration: 400 });
      moved.one("layoutstop", function () {
        cy.fit(undefined, 20);
        drawn(cy, "worker");
      });
      moved.run();
    }
    var timer = window.setTimeout(function () { done(null); }, LAYOUT_WAIT);
    worker.onmessage = function (event) { done(event.data.positions || null); };
    worker.onerror = function () { done(null); };
    worker.onmessageerror = function () { done(null); };
    var start = {};
    cy.nodes().forEach(function (n) { start[n.id()] = n.position(); });
    var bounds = { x1: 0, y1: 0, w: box.clientWidth || 800, h: box.clientHeight || 600 };
    try {
      worker.postMessage({
        lib: box.getAttribute("data-lib"),
        elements: elements.map(function (el) {
          var d = el.data;
          return { data: d.source ? { id: d.id, source: d.source, target: d.target }
            : { id: d.id, size: d.size } };
        }),
        start: start,
        options: Object.assign({ boundingBox: bounds }, FORCE)
      });
    } catch (e) {
      done(null);
    }
  }

  fetch(box.getAttribute("data-src"), { headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var most = 1;
      data.nodes.forEach(function (n) { most = Math.max(most, n[sizeBy]); });
      var elements = data.nodes.map(function (n) {
        return {
          data: {
            id: n.id, label: n.label, type: n.type, url: n.url, projects: n.projects, sek: n.sek,
            size: 10 + 50 * Math.sqrt(n[sizeBy] / most), colour: colours[n.type] || "#555"
          }
        };
      });
      data.edges.forEach(function (e) {
        elements.push({
          data: {
            id: e.kind + ":" + e.source + ">" + e.target, source: e.source, target: e.target,
            kind: e.kind, width: 1 + Math.min(6, Math.log2(1 + e.weight))
          }
        });
      });
      var cy = window.cytoscape({
        container: box,
        elements: elements,
        minZoom: 0.1,
        maxZoom: 4,
        style: [
          {
            selector: "node",
            style: {
              "background-color": "data(colour)", width: "data(size)", height: "data(size)",
              "font-size": 9, "text-valign": "bottom", "text-wrap": "ellipsis",
              "text-max-width": 120, "min-zoomed-font-size": 7
            }
          },
          // names of the heavier actors only (hover, or zoom in, for the others)
          { selector: "node[size >= 24], node.hover", style: { label: "data(label)" } },
          {
            selector: "edge",
            style: { width: "data(width)", "line-color": "#b9b9b9", "curve-style": "haystack",
              opacity: 0.7 }
          },
          { selector: "node.hover", style: { "border-width": 3, "border-color": "#111" } }
        ],
        // at once, a first picture: the heaviest actors in the middle (cheap to place)
        layout: { name: "concentric", concentric: function (n) { return n.data("size"); },
          levelWidth: function () { return 12; }, minNodeSpacing: 4, animate: false }
      });
      settle(cy, elements);
      cy.on("tap", "node", function (event) {
        var url = event.target.data("url");
        if (url) { window.location.assign(url); }
      });
      cy.on("mouseover", "node", function (event) {
        event.target.addClass("hover");
        box.style.cursor = "pointer";
        if (tip) { tip.textContent = figures(event.target.data()); }
      });
      cy.on("mouseout", "node", function (event) {
        event.target.removeClass("hover");
        box.style.cursor = "";
      });
      window.researchIndexGraph = cy;  // for the browser test and the curious
    })
    .catch(function () {
      box.setAttribute("data-drawn", "failed");
    });
})();
