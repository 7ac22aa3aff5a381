// The service worker of the event gate pages (served by checkin_views.gate_sw at /activities/gate/sw.js,
// so its scope is the gate pages and nothing else). It keeps what a gate page needs to reopen without
// network — the page itself, gate.js, the zxing decoder, the stylesheets and scripts of the page — in one
// versioned cache; a new version (any of those files changed) installs, and its activation deletes the
// caches of older versions. It never caches an API answer, a scan or the masked roster (the page keeps
// that in localStorage with its expiry, see gate.js).
//
// Gate pages: network first (a fresh page carries fresh keys and counts), the cached copy when the
// network fails or does not answer within a few seconds. A page the server no longer gives (signed out,
// gate gone or out of scope) is dropped from the cache. Static files: cache first.
"use strict";
var CFG = {{ config|safe }};
var CACHE = "hg-gate-" + CFG.version;
var PAGES = new RegExp(CFG.pages);
var WAIT_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(CFG.precache); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("hg-gate-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function sameOrigin(url) { return url.origin === self.location.origin; }

function fromNetwork(request) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("slow")); }, WAIT_MS);
    fetch(request).then(function (r) { clearTimeout(timer); resolve(r); },
                        function (e) { clearTimeout(timer); reject(e); });
  });
}

function page(request) {
  return caches.open(CACHE).then(function (cache) {
    return fromNetwork(request).then(function (response) {
      if (response.ok && !response.redirected && response.type === "basic") {
        cache.put(request.url, response.clone());
      } else if (response.status === 403 || response.status === 404 || response.redirected) {
        cache.delete(request.url);
      }
      return response;
    }, function (error) {
      return cache.match(request.url).then(function (hit) { if (hit) return hit; throw error; });
    });
  });
}

function asset(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request.url).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (response.ok) cache.put(request.url, response.clone());
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!sameOrigin(url)) return;
  if (request.mode === "navigate" && PAGES.test(url.pathname)) { event.respondWith(page(request)); return; }
  if (url.pathname.indexOf(CFG.static) === 0) { event.respondWith(asset(request)); }
});

// The page, once the worker is active, names what it loaded (itself, its scripts and stylesheets): the
// first visit was not served through the worker, so these are fetched once more into the cache.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  var port = event.ports && event.ports[0];
  if (data.type === "cache") {
    var urls = (data.urls || []).filter(function (u) {
      var url = new URL(u, self.location.href);
      return sameOrigin(url) && (PAGES.test(url.pathname) || url.pathname.indexOf(CFG.static) === 0);
    });
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      return Promise.all(urls.map(function (u) {
        return fetch(u, { credentials: "same-origin" }).then(function (r) {
          if (r.ok && !r.redirected) return cache.put(u, r);
        });
      }));
    }).then(function () { if (port) port.postMessage({ cached: urls.length, version: CFG.version }); },
            function () { if (port) port.postMessage({ cached: 0, error: true }); }));
  } else if (data.type === "forget") {
    // Sign-out from a gate page: nothing of the gate stays on the phone but the unsent scans.
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("hg-gate-") === 0; })
        .map(function (n) { return caches.delete(n); }));
    }).then(function () { if (port) port.postMessage({ forgotten: true }); }));
  }
});
