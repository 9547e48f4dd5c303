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
        layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 6000,
          idealEdgeLength: 60, numIter: 600 }
      });
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
      box.setAttribute("data-drawn", String(cy.nodes().length));
    })
    .catch(function () {
      box.setAttribute("data-drawn", "failed");
    });
})();
