// Progressive enhancement only: every feature works without this file. With it:
// - on a narrow screen the filters sit behind a "Filters" button at the top of the results;
// - "Show all" opens a long facet in place, and its filter box narrows the list as you type;
// - a CSV download says that it is being prepared, and how far it has come.
// The sort order is applied by its button (a keyboard user moving through the list with the
// arrow keys must not leave the page at the first step).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // -- the Filters button ------------------------------------------------------------------
  function setUpFilters() {
    var button = document.querySelector(".filters-button");
    var panel = document.getElementById("filters");
    if (!button || !panel) return;
    button.hidden = false;
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      panel.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      show(open);
      if (open) panel.focus();
    });
    // a facet opened in full ("#facet-org") or a link to the filters opens the panel
    if (/^#(facet-|filters)/.test(location.hash)) show(true);
  }

  // -- long facets, opened in place -------------------------------------------------------
  function narrowList(input) {
    var section = document.getElementById(input.getAttribute("data-narrows"));
    if (!section) return;
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    section.querySelectorAll("ul > li[data-label]").forEach(function (li) {
      var text = fold(li.getAttribute("data-label"));  // the value's label and code only
      li.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
    });
  }
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-narrows")) narrowList(target);
  });
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest && event.target.closest("a[data-open]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var name = link.getAttribute("data-open");
    var section = document.getElementById("facet-" + name);
    if (!section || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    link.setAttribute("aria-busy", "true");
    fetch(link.href, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var opened = doc.getElementById("facet-" + name);
        if (!opened) throw new Error("no facet");
        section.replaceWith(opened);
        history.replaceState(null, "", link.getAttribute("href"));
        var focus = opened.querySelector("input[data-narrows]") || opened.querySelector("ul a");
        if (focus) focus.focus();
      })
      .catch(function () { location.href = link.href; });
  });

  // -- downloads that say they are being prepared ------------------------------------------
  function prepare(link) {
    var status = document.querySelector("[data-preparing]");
    if (!status || !window.fetch || !window.ReadableStream || !window.TextDecoder) return false;
    var say = function (key, rows) {
      status.textContent = status.getAttribute(key).replace("{rows}", rows);
    };
    if (link.getAttribute("aria-busy") === "true") return true;  // one download at a time
    say("data-preparing", "0");
    link.setAttribute("aria-busy", "true");
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || !response.body) throw new Error(String(response.status));
        var total = response.headers.get("X-Total-Count");
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var parts = [];
        var lines = 0;
        var said = Date.now();
        function pump() {
          return reader.read().then(function (step) {
            if (step.done) return;
            parts.push(step.value);
            lines += (decoder.decode(step.value, { stream: true }).match(/\n/g) || []).length;
            // a field may hold a line break: never more rows than the total; a screen reader
            // hears the count at most once a second
            var rows = Math.max(0, lines - 1);
            if (total) rows = Math.min(rows, Number(total));
            if (Date.now() - said > 1000) {
              said = Date.now();
              say("data-preparing", rows + (total ? " / " + total : ""));
            }
            return pump();
          });
        }
        return pump().then(function () {
          var name = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
          var url = URL.createObjectURL(new Blob(parts, { type: "text/csv" }));
          var a = document.createElement("a");
          a.href = url;
          a.download = name ? name[1] : "export.csv";
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
          say("data-prepared", total || Math.max(0, lines - 1));
        });
      })
      .catch(function () {
        // refused (the server busy, a bad parameter): let the browser ask, and show its answer
        say("data-failed", "");
        location.href = link.href;
      })
      .then(function () { link.removeAttribute("aria-busy"); });
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest && event.target.closest("a[data-prepare]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (prepare(link)) event.preventDefault();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpFilters);
  } else {
    setUpFilters();
  }
})();
