// The event gate (活动签到口): camera scanning (the vendored @zxing/browser), a keyboard-wedge scanner or
// typing into the code field, and an offline queue.
//
// Every scan gets a client-generated UUID and is written to localStorage *before* it is sent, so a scan
// is never lost to a dropped connection or a closed tab; the server records each UUID once (a scan
// uploaded twice counts once), so sending again is always safe. Online, the server decides and the
// scan leaves the queue. Offline (no network, or no answer within a few seconds), the page decides
// itself: it checks the ticket's HMAC with the session keys the page was given (WebCrypto), its time
// window, and this gate's own memory of who is inside (re-entry and exit rules), shows the result
// marked 离线, and keeps the scan queued with that local decision; the queue is synced in batches when
// the network is back. The server then records what the gate did and flags what it cannot admit twice
// (the same ticket let in at two offline gates), which staff review on the failed-scan log.
//
// Reopening without network: a service worker (templates/activities/gate/sw.js, scoped to the gate pages)
// keeps this page, this script, the decoder and the stylesheets, so a reload offline brings the gate back
// with its queue. Names offline: while online the page keeps the session's masked roster (张*华 and the
// ID number's last four characters, never a full number or a phone) in localStorage with an expiry, and
// an offline admission shows it; the roster is deleted at its expiry, when the server says the user is
// signed out, and on sign-out from this page (docs/activities-checkin.md, "What the phone keeps").
(function () {
  "use strict";
  var root = document.getElementById("gate");
  var cfgNode = document.getElementById("gate-config");
  if (!root || !cfgNode) return;
  var cfg = JSON.parse(cfgNode.textContent);
  var M = cfg.msgs;
  var QUEUE_KEY = cfg.storage + ":queue";
  var STATE_KEY = cfg.storage + ":state";
  var ROSTER_KEY = cfg.storage + ":roster";
  var ROSTER_EVERY_MS = 10 * 60000;
  var ANSWER_MS = 4000; // longer than this and the gate decides offline (the server may still record it)
  var BATCH = 500;

  var els = {
    form: root.querySelector("[data-gate-form]"),
    code: root.querySelector("[data-gate-code]"),
    result: root.querySelector("[data-gate-result]"),
    pending: root.querySelector("[data-gate-pending]"),
    net: root.querySelector("[data-gate-net]"),
    recent: root.querySelector("[data-gate-recent]"),
    modes: root.querySelectorAll("[data-gate-mode]"),
    camStart: root.querySelector("[data-gate-camera-start]"),
    camStop: root.querySelector("[data-gate-camera-stop]"),
    video: root.querySelector("[data-gate-video]"),
    photo: root.querySelector("[data-gate-photo]"),
    syncBtn: root.querySelector("[data-gate-sync]"),
    count: root.querySelector("[data-gate-count]")
  };
  var mode = "entry";
  var syncing = false;
  var offline = navigator.onLine === false;
  var admittedHere = 0;

  // --- storage ------------------------------------------------------------------------------------
  function load(key, fallback) {
    try { return JSON.parse(window.localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full: kept in memory */ }
  }
  var queue = load(QUEUE_KEY, []);   // scans not yet acknowledged by the server
  var state = load(STATE_KEY, {});   // ticket key "registration:session" -> "in" | "out" at this gate
  function saveQueue() { store(QUEUE_KEY, queue); showPending(); }
  function saveState() { store(STATE_KEY, state); }

  // --- the masked roster (names for offline admissions) ----------------------------------------------
  function rosterKeys() {
    var out = [];
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var k = window.localStorage.key(i);
        if (k && /^hg-gate-.*:roster$/.test(k)) out.push(k);
      }
    } catch (e) { /* storage unavailable */ }
    return out;
  }
  function forgetRoster(all) {
    rosterKeys().forEach(function (k) { if (all || k === ROSTER_KEY) window.localStorage.removeItem(k); });
    roster = null;
  }
  function expired(r) { return !r || !r.expires || Date.parse(r.expires) <= Date.now(); }
  // Another user's or an expired roster left on this phone is removed on every load.
  rosterKeys().forEach(function (k) {
    if (k !== ROSTER_KEY || expired(load(k, null))) window.localStorage.removeItem(k);
  });
  var roster = load(ROSTER_KEY, null);
  function fetchRoster() {
    if (offline || !cfg.rosterUrl) return Promise.resolve();
    return fetch(cfg.rosterUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401 || r.status === 403 || r.redirected) { forgetRoster(false); return; }
      if (!r.ok) return;
      return r.json().then(function (body) {
        roster = body; store(ROSTER_KEY, body);
        root.setAttribute("data-gate-roster", String(Object.keys(body.seats || {}).length));
      });
    }).catch(function () { /* offline: keep what we have until it expires */ });
  }
  function rosterName(registration) {
    if (roster && expired(roster)) forgetRoster(false);
    var row = roster && roster.seats && roster.seats[String(registration)];
    if (!row) return "";
    return row[1] ? row[0] + "（" + M.idTail.replace("%(tail)s", row[1]) + "）" : row[0];
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- the ticket (see huigong/activities/checkin_ticket.py) --------------------------------------------
  var PREFIX = "HGT1", B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  function normalise(code) { return String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, ""); }
  function b32decode(s) {
    var bits = 0, value = 0, out = [];
    for (var i = 0; i < s.length; i++) {
      var v = B32.indexOf(s.charAt(i));
      if (v < 0) return null;
      value = (value << 5) | v; bits += 5;
      if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
    }
    return new Uint8Array(out);
  }
  function hexBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function parse(code) {
    if (code.indexOf(PREFIX) !== 0 || code.length !== 54) return { reason: "malformed" };
    var raw = b32decode(code.slice(4));
    if (!raw || raw.length !== 31 || raw[0] !== 1) return { reason: "malformed" };
    var v = new DataView(raw.buffer);
    // version, registration, session, nonce, from, until (minutes), party; then 9 bytes of MAC
    return { registration: v.getUint32(1), session: v.getUint32(5), from: v.getUint32(13) * 60000,
             until: v.getUint32(17) * 60000, party: raw[21], body: raw.slice(0, 22), mac: raw.slice(22) };
  }
  function verify(t) {
    var s = cfg.sessions[String(t.session)];
    if (!s) return Promise.resolve("wrong_session");
    if (!(window.crypto && crypto.subtle)) return Promise.resolve("unverified");
    var tries = s.keys.map(function (hex) {
      return crypto.subtle.importKey("raw", hexBytes(hex), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
        .then(function (key) { return crypto.subtle.sign("HMAC", key, t.body); })
        .then(function (sig) {
          var a = new Uint8Array(sig);
          for (var i = 0; i < t.mac.length; i++) if (a[i] !== t.mac[i]) return false;
          return true;
        });
    });
    return Promise.all(tries).then(function (ok) { return ok.indexOf(true) >= 0 ? "" : "bad_signature"; });
  }

  // The offline decision: what the server would say, as far as this gate can know.
  function decideLocally(scan) {
    var t = parse(scan.code);
    if (t.reason) return Promise.resolve({ result: "refused", reason: t.reason });
    return verify(t).then(function (problem) {
      if (problem && problem !== "unverified") return { result: "refused", reason: problem };
      var now = Date.parse(scan.scanned_at);
      if (now < t.from) return { result: "refused", reason: "not_yet_valid" };
      if (now >= t.until) return { result: "refused", reason: "expired" };
      var key = t.registration + ":" + t.session, here = state[key];
      if (scan.kind === "exit") {
        if (here !== "in") return { result: "refused", reason: "not_inside", key: key };
        return { result: "exited", key: key, party: t.party };
      }
      if (here === "in") return { result: "refused", reason: "already_inside", key: key };
      if (here === "out" && !cfg.reentry) return { result: "refused", reason: "no_reentry", key: key };
      return { result: "admitted", key: key, party: t.party, unverified: problem === "unverified",
               name: rosterName(t.registration) };
    });
  }

  // --- the screen -------------------------------------------------------------------------------------
  function showPending() {
    var n = queue.length;
    els.pending.textContent = M.pending.replace("%(n)s", String(n));
    els.pending.classList.toggle("gate-pending-some", n > 0);
    if (els.syncBtn) els.syncBtn.hidden = n === 0;
  }
  function showNet() {
    els.net.textContent = offline ? M.offline : M.online;
    els.net.classList.toggle("gate-net-off", offline);
  }
  function text(answer, local) {
    var parts = [];
    if (answer.result === "admitted") parts.push(M.admitted);
    else if (answer.result === "exited") parts.push(M.exited);
    else if (answer.result === "conflict") parts.push(M.conflict);
    else parts.push(M.refused + "：" + (M.reasons[answer.reason] || answer.reason));
    if (answer.name) parts.push(answer.name);
    if (answer.party > 1) parts.push(M.party.replace("%(n)s", String(answer.party)));
    if (answer.unverified) parts.push(M.unverified);
    if (local) parts.push(M.local);
    return parts.join(" · ");
  }
  function show(answer, local) {
    var tone = answer.result === "admitted" || answer.result === "exited" ? "ok"
      : answer.result === "conflict" ? "warn" : "bad";
    els.result.className = "gate-result gate-result-" + tone;
    els.result.textContent = text(answer, local);
    els.result.setAttribute("data-result", answer.result);
    els.result.setAttribute("data-reason", answer.reason || "");
    var li = document.createElement("li");
    li.className = "gate-recent-" + tone;
    li.textContent = new Date().toLocaleTimeString() + "  " + text(answer, local);
    els.recent.insertBefore(li, els.recent.firstChild);
    while (els.recent.children.length > 20) els.recent.removeChild(els.recent.lastChild);
    if (answer.result === "admitted") { admittedHere += Math.max(1, answer.party || 1); els.count.textContent = String(admittedHere); }
  }
  function remember(answer) {
    if (!answer.key) return;
    if (answer.result === "admitted" || answer.result === "conflict") state[answer.key] = "in";
    else if (answer.result === "exited") state[answer.key] = "out";
    else if (answer.reason === "already_inside") state[answer.key] = "in";
    saveState();
  }

  // --- the server -------------------------------------------------------------------------------------
  function post(scans) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? window.setTimeout(function () { ctrl.abort(); }, scans.length > 1 ? 60000 : ANSWER_MS) : null;
    return fetch(cfg.scanUrl, {
      method: "POST", credentials: "same-origin", cache: "no-store", signal: ctrl ? ctrl.signal : undefined,
      headers: { "Content-Type": "application/json", "X-CSRFToken": cfg.csrf },
      body: JSON.stringify({ scans: scans.map(function (s) {
        return { uuid: s.uuid, code: s.code, kind: s.kind, scanned_at: s.scanned_at, offline: !!s.local,
                 local_result: s.local ? s.local.result : "", local_reason: s.local ? (s.local.reason || "") : "" };
      }) })
    }).then(function (r) {
      if (timer) window.clearTimeout(timer);
      if (r.status === 401 || r.status === 403) {
        forgetRoster(false);
        show({ result: "refused", reason: "signed_out" }, false); throw new Error("auth");
      }
      if (!r.ok) throw new Error("http " + r.status);
      return r.json();
    }, function (e) { if (timer) window.clearTimeout(timer); throw e; });
  }
  function acknowledge(results) {
    var done = {};
    results.forEach(function (a) { done[a.uuid] = a; remember(a); });
    queue = queue.filter(function (s) { return !done[s.uuid]; });
    saveQueue();
    return done;
  }

  function scan(raw, via) {
    var code = normalise(raw);
    if (!code) return;
    var item = { uuid: uuid(), code: code, kind: mode, scanned_at: new Date().toISOString() };
    queue.push(item); saveQueue();       // written ahead: never lost
    var decideOffline = function () {
      offline = true; showNet();
      return decideLocally(item).then(function (a) {
        item.local = a;                   // kept with the scan for the server's review at sync
        saveQueue(); remember(a); show(a, true);
      });
    };
    if (offline) return decideOffline();
    return post([item]).then(function (body) {
      var done = acknowledge(body.results);
      show(done[item.uuid], false);
    }).catch(function (e) {
      if (e && e.message === "auth") return;
      return decideOffline();
    });
  }

  function sync() {
    if (syncing || !queue.length) return Promise.resolve();
    var batch = queue.filter(function (s) { return s.local; }).slice(0, BATCH);
    if (!batch.length) return Promise.resolve();
    syncing = true;
    return post(batch).then(function (body) {
      offline = false; showNet();
      var done = acknowledge(body.results);
      var flagged = body.results.filter(function (a) { return a.flagged; }).length;
      els.result.className = "gate-result gate-result-" + (flagged ? "warn" : "ok");
      els.result.textContent = M.synced.replace("%(n)s", String(batch.length)) +
        (flagged ? " · " + M.flagged.replace("%(n)s", String(flagged)) : "");
      els.result.setAttribute("data-result", "synced");
      return done;
    }).catch(function () { offline = true; showNet(); })
      .then(function () { syncing = false; if (!offline && queue.some(function (s) { return s.local; })) return sync(); });
  }

  // --- input: the code field (typing or a keyboard-wedge scanner, which types and presses Enter) ---------
  els.form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var v = els.code.value;
    els.code.value = "";
    scan(v, "typed");
    els.code.focus();
  });
  Array.prototype.forEach.call(els.modes, function (b) {
    b.addEventListener("click", function () {
      mode = b.getAttribute("data-gate-mode");
      Array.prototype.forEach.call(els.modes, function (o) { o.setAttribute("aria-pressed", String(o === b)); });
      els.code.focus();
    });
  });
  if (els.syncBtn) els.syncBtn.addEventListener("click", function () { offline = false; sync(); });

  // --- the camera -------------------------------------------------------------------------------------
  var controls = null, last = "", lastAt = 0;
  function fromCamera(textValue) {
    var now = Date.now();
    if (textValue === last && now - lastAt < 3000) return; // the same code still in front of the lens
    last = textValue; lastAt = now;
    scan(textValue, "camera");
  }
  function reader() { return window.ZXingBrowser ? new window.ZXingBrowser.BrowserQRCodeReader() : null; }
  if (els.camStart) {
    els.camStart.addEventListener("click", function () {
      var r = reader();
      if (!r || !navigator.mediaDevices) { show({ result: "refused", reason: "no_camera" }, false); return; }
      els.video.hidden = false;
      r.decodeFromVideoDevice(undefined, els.video, function (result) {
        if (result) fromCamera(result.getText());
      }).then(function (c) {
        controls = c; els.camStart.hidden = true; els.camStop.hidden = false;
      }).catch(function () { els.video.hidden = true; show({ result: "refused", reason: "no_camera" }, false); });
    });
    els.camStop.addEventListener("click", function () {
      if (controls) controls.stop();
      controls = null; els.video.hidden = true; els.camStart.hidden = false; els.camStop.hidden = true;
      els.code.focus();
    });
  }
  // A photo of the code (phones where live video is not allowed): read as a data: URL, which the CSP allows.
  if (els.photo) {
    els.photo.addEventListener("change", function () {
      var f = els.photo.files && els.photo.files[0];
      var r = reader();
      if (!f || !r) return;
      var fr = new FileReader();
      fr.onload = function () {
        r.decodeFromImageUrl(fr.result).then(function (res) { scan(res.getText(), "photo"); })
          .catch(function () { show({ result: "refused", reason: "no_code_in_photo" }, false); });
        els.photo.value = "";
      };
      fr.readAsDataURL(f);
    });
  }

  // --- reopening offline: the service worker --------------------------------------------------------
  function cacheThisPage(reg) {
    var worker = reg.active || navigator.serviceWorker.controller;
    if (!worker) return;
    var urls = [window.location.href];
    Array.prototype.forEach.call(document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel=icon][href]"),
      function (n) { urls.push(n.src || n.href); });
    var ch = new MessageChannel();
    ch.port1.onmessage = function (ev) {
      if (ev.data && ev.data.cached) root.setAttribute("data-gate-cached", ev.data.version || "1");
    };
    worker.postMessage({ type: "cache", urls: urls }, [ch.port2]);
  }
  if (cfg.sw && "serviceWorker" in navigator && window.isSecureContext !== false) {
    navigator.serviceWorker.register(cfg.sw, { scope: cfg.swScope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) { if (!offline) cacheThisPage(reg); }).catch(function () { /* no offline reopening */ });
  }
  // Signing out from this page leaves nothing of the gate on the phone but the unsent scans (codes only).
  Array.prototype.forEach.call(document.querySelectorAll("form.logout-form"), function (f) {
    f.addEventListener("submit", function (ev) {
      if (f.getAttribute("data-gate-forgotten")) return;
      ev.preventDefault();
      forgetRoster(true);
      var done = function () { f.setAttribute("data-gate-forgotten", "1"); f.submit(); };
      var ctl = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (!ctl) { done(); return; }
      var ch = new MessageChannel(), t = window.setTimeout(done, 1500);
      ch.port1.onmessage = function () { window.clearTimeout(t); done(); };
      ctl.postMessage({ type: "forget" }, [ch.port2]);
    });
  });

  window.addEventListener("online", function () { offline = false; showNet(); sync(); fetchRoster(); });
  window.addEventListener("offline", function () { offline = true; showNet(); });
  window.setInterval(function () { if (queue.length) sync(); }, 5000);
  window.setInterval(function () {
    if (roster && expired(roster)) forgetRoster(false);
    fetchRoster();
  }, ROSTER_EVERY_MS);
  fetchRoster();
  // Scans queued before a reload that never got a decision are decided now, then synced.
  queue.forEach(function (s) { if (!s.local) decideLocally(s).then(function (a) { s.local = a; saveQueue(); }); });
  showNet(); showPending();
  root.setAttribute("data-gate-ready", "1");
  els.code.focus();
  if (!offline && queue.length) window.setTimeout(sync, 500);
})();
