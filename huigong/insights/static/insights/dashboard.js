/* Charts of the insights dashboard (ECharts, served locally). Data comes from the page's json_script. */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("dash-data");
    if (!el || !window.echarts) return;
    var data = JSON.parse(el.textContent);
    var cfgEl = document.getElementById("dash-config");
    var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : {labels: {}};
    var charts = [];
    var narrow = window.matchMedia("(max-width: 800px)").matches;
    var palette = ["#2457a6", "#b3262e", "#1e7a46", "#9a5b00", "#7b5bb6", "#0a7ea4", "#c2410c", "#52606d"];
    function make(id) {
      var node = document.getElementById(id);
      if (!node) return null;
      var c = echarts.init(node, null, {renderer: "svg"});
      charts.push(c);
      return c;
    }
    function esc(s) { return echarts.format.encodeHTML(String(s === undefined || s === null ? "" : s)); }
    function fmt(v) {
      if (v === null || v === undefined) return "—";
      return Math.abs(v) >= 100000 ? (v / 10000).toFixed(1) + "万" : Number(v).toLocaleString();
    }

    // ECharts' default axis tooltip is markup with style="" attributes, which the page's
    // Content-Security-Policy refuses: plain lines instead (names escaped: a formatter's string is HTML).
    function axisTip(params) {
      var list = Array.isArray(params) ? params : [params];
      if (!list.length) return "";
      return [esc(list[0].axisValueLabel || list[0].name)].concat(list.map(function (p) {
        return esc(p.seriesName) + ": " + fmt(Array.isArray(p.value) ? p.value[1] : p.value);
      })).join("<br>");
    }

    var trend = make("chart-trend");
    if (trend) {
      var series = data.trend.series;
      trend.setOption({
        color: palette,
        tooltip: {trigger: "axis", formatter: axisTip},
        legend: {top: 0, data: series.map(function (s) { return s.label; })},
        grid: {left: 8, right: 8, top: 36, bottom: 8, containLabel: true},
        xAxis: {type: "category", data: data.trend.months, axisLabel: {formatter: function (m) { return m.slice(2); }}},
        yAxis: series.map(function (s, i) {
          return {type: "value", show: i < 2, position: i === 0 ? "left" : "right", splitLine: {show: i === 0},
                  axisLabel: {formatter: fmt}, scale: true};
        }),
        series: series.map(function (s, i) {
          return {name: s.label, type: i === 1 ? "bar" : "line", yAxisIndex: i, data: s.values, smooth: true,
                  symbolSize: 5, barMaxWidth: 18};
        })
      });
    }

    var mix = make("chart-mix");
    if (mix) {
      mix.setOption({
        color: palette,
        tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
        legend: narrow ? {bottom: 0, type: "scroll"} : {orient: "vertical", right: 0, top: "middle", type: "scroll"},
        // Room on the right for the legend: the labels of the largest slices reached into it.
        series: [{type: "pie", radius: ["36%", "62%"], center: narrow ? ["50%", "44%"] : ["34%", "50%"],
                  minShowLabelAngle: 12, label: {show: !narrow, formatter: "{d}%", overflow: "none"},
                  labelLine: {length: 8, length2: 6}, data: data.mix}]
      });
    }

    var level = make("chart-level");
    if (level) {
      level.setOption({
        color: ["#b3262e", "#9a5b00", "#2457a6"],
        tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
        legend: {bottom: 0},
        series: [{type: "pie", radius: ["35%", "62%"], center: ["50%", "45%"], label: {formatter: "{b}\n{c}"},
                  data: data.assist_mix.level}]
      });
    }
    var cause = make("chart-cause");
    if (cause) {
      var cs = data.assist_mix.cause.slice().reverse();
      cause.setOption({
        color: ["#9a5b00"],
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, formatter: axisTip},
        grid: {left: 8, right: 30, top: 8, bottom: 8, containLabel: true},
        xAxis: {type: "value", minInterval: 1},
        yAxis: {type: "category", data: cs.map(function (r) { return r.name; })},
        series: [{type: "bar", data: cs.map(function (r) { return r.value; }), barMaxWidth: 18,
                  label: {show: true, position: "right"}}]
      });
    }

    var kids = make("chart-children");
    if (kids) {
      var rows = data.children.slice().reverse();
      kids.setOption({
        color: palette,
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, formatter: axisTip},
        legend: {top: 0},
        grid: {left: 8, right: 24, top: 30, bottom: 8, containLabel: true},
        xAxis: {type: "value", axisLabel: {formatter: fmt}},
        yAxis: {type: "category", data: rows.map(function (r) { return r.name; }),
                axisLabel: {width: narrow ? 90 : 180, overflow: "truncate"}},
        series: [
          {name: cfg.labels.active, type: "bar", data: rows.map(function (r) { return r.active; }), barMaxWidth: 16},
          {name: cfg.labels.new, type: "bar", data: rows.map(function (r) { return r.new; }), barMaxWidth: 16}
        ]
      });
      document.getElementById("chart-children").style.height = Math.max(240, rows.length * 34 + 60) + "px";
      kids.resize();
      kids.on("click", function (p) {
        var row = rows[p.dataIndex];
        if (row && row.id) window.location.href = cfg.nodeUrl + row.id;
      });
    }

    var tree = make("chart-tree");
    if (tree) {
      tree.setOption({
        color: palette,
        // A formatter function's string is HTML: node names are data and must be escaped.
        tooltip: {formatter: function (p) { return esc(p.name) + ": " + fmt(p.value); }},
        series: [{type: "treemap", data: data.treemap, roam: false, nodeClick: false, breadcrumb: {show: false},
                  width: "100%", height: "100%", top: 0, left: 0,
                  label: {show: true, formatter: "{b}\n{c}"}, upperLabel: {show: true, height: 22},
                  levels: [{itemStyle: {borderColor: "#fff", borderWidth: 3, gapWidth: 3}},
                           {colorSaturation: [0.35, 0.6], itemStyle: {borderColorSaturation: 0.6, gapWidth: 1, borderWidth: 1}}]}]
      });
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
