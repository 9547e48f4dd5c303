// The ecosystem page's force layout, run in a Web Worker so the page stays responsive while
// it settles (at 300 actors and a thousand links, Cytoscape's cose takes seconds of work that
// would otherwise hold the page). The page sends the library's address, the elements, the
// start positions and the layout's options; this runs the same vendored Cytoscape.js without
// a screen (headless) and sends back where each node ends up.
/* global cytoscape, importScripts */
self.onmessage = function (event) {
  "use strict";
  var msg = event.data;
  try {
    importScripts(msg.lib);
    // the nodes' sizes count (cose keeps big nodes apart), so the style is on
    var cy = cytoscape({ headless: true, styleEnabled: true, elements: msg.elements,
      style: [{ selector: "node", style: { width: "data(size)", height: "data(size)" } }] });
    cy.nodes().forEach(function (n) {
      var at = msg.start[n.id()];
      if (at) { n.position({ x: at.x, y: at.y }); }
    });
    var options = { name: "cose", animate: false, randomize: false, fit: false };
    Object.keys(msg.options).forEach(function (k) { options[k] = msg.options[k]; });
    cy.layout(options).run();
    var out = {};
    cy.nodes().forEach(function (n) {
      var p = n.position();
      out[n.id()] = { x: p.x, y: p.y };
    });
    self.postMessage({ positions: out });
  } catch (e) {
    self.postMessage({ error: String(e) });
  }
};
