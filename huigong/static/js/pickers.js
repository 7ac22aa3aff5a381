/* Searchable pickers: every <select data-picker> becomes a tom-select (huigong/static/vendor/tom-select/).
 * A select with data-picker-url also asks the server as the user types: the URL gets "q=<text>" and answers
 * {"results": [{"value": "...", "text": "..."}]}. Without JavaScript the plain <select> (and the union
 * pickers' htmx search box) still works and submits the same value. No inline code: the CSP forbids it. */
(function () {
  "use strict";

  function remoteLoader(url, hits) {
    var sep = url.indexOf("?") === -1 ? "?" : "&";
    return function (query, callback) {
      fetch(url + sep + "q=" + encodeURIComponent(query), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          var results = data.results || [];
          var found = {};
          results.forEach(function (item) { found[item.value] = true; });
          hits[query] = found;
          callback(results);
        })
        .catch(function () { callback(); });
    };
  }

  // The server matches what the labels do not show (pinyin, initials, a full ID number or phone): an option
  // it returned for the query stays listed even when the label itself does not contain the typed text.
  function remoteScore(hits) {
    return function (query) {
      var local = this.sifter.getScoreFunction(query, this.getSearchOptions());
      return function (item) {
        var score = local(item);
        if (score > 0) return score;
        return hits[query] && hits[query][item.value] ? 0.5 : 0;
      };
    };
  }

  function enhance(select) {
    if (select.tomselect || typeof window.TomSelect !== "function") return;
    var url = select.getAttribute("data-picker-url");
    var noResults = select.getAttribute("data-picker-empty") || "没有匹配的结果";
    var options = {
      maxOptions: 300,
      // The empty choice ("— 请选择 —" / "— 全部 —") becomes the placeholder, so nothing looks chosen.
      // An optional picker keeps its empty choice ("— 全部 —") selectable.
      allowEmptyOption: !select.required,
      placeholder: select.getAttribute("data-placeholder") || undefined,
      searchField: ["text"],
      render: {
        no_results: function (data, escape) {
          return "<div class=\"no-results\">" + escape(noResults) + "</div>";
        }
      },
      onInitialize: function () {
        // The union pickers' own search box (for browsers without JavaScript) is not needed any more.
        var wrap = select.closest(".picker");
        var box = wrap && wrap.querySelector(".picker-search");
        if (box) box.hidden = true;
      }
    };
    if (url) {
      var hits = {};
      options.load = remoteLoader(url, hits);
      options.score = remoteScore(hits);
      options.shouldLoad = function (query) { return query.trim().length > 0; };
      options.loadThrottle = 250;
    }
    new window.TomSelect(select, options);
  }

  function enhanceAll(root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
  // Forms swapped in by htmx get their pickers too.
  document.addEventListener("htmx:afterSettle", function (event) { enhanceAll(event.target); });
})();
