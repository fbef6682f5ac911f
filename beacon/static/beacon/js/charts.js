/* Draws the dashboard charts from data the page embeds with Django's json_script.
 * Each chart element names its data: <div data-chart="trend|breakdown" data-source="id">.
 * The numbers are also in a table under each chart, so nothing depends on this file. */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function brand() {
    var value = getComputedStyle(document.body).getPropertyValue("--brand").trim();
    return value || "#0b5cad";
  }

  // ECharts tooltips are HTML; labels come from user data, so they are escaped here.
  function esc(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function shortDate(iso) {
    var parts = String(iso).split("-");
    return parts.length === 3 ? +parts[2] + " " + MONTHS[+parts[1] - 1] : iso;
  }

  // NPS runs from -100 to 100; zoom to the data in steps of 20 (the axis ticks), within that.
  function lowerBound(extent) { return Math.max(-100, Math.floor((extent.min - 5) / 20) * 20); }
  function upperBound(extent) { return Math.min(100, Math.ceil((extent.max + 5) / 20) * 20); }

  var FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";

  // ECharts' containLabel mis-measures some system fonts; measure the labels ourselves.
  function labelWidth(labels) {
    var ctx = document.createElement("canvas").getContext("2d");
    if (!ctx) return 160;
    ctx.font = "12px " + FONT;
    var widest = 0;
    labels.forEach(function (text) { widest = Math.max(widest, ctx.measureText(text).width); });
    return Math.ceil(widest) + 20;
  }

  var baseText = { color: "#1f2933", fontFamily: FONT };

  function trendOption(data) {
    var weeks = data.points.map(function (p) { return p.week; });
    var low = data.points.map(function (p) { return p.low; });
    var band = data.points.map(function (p) {
      return p.low === null || p.high === null ? null : +(p.high - p.low).toFixed(2);
    });
    var value = data.points.map(function (p) { return p.value; });
    var colour = brand();
    return {
      textStyle: baseText,
      grid: { left: 48, right: 32, top: 16, bottom: 40 },
      tooltip: {
        trigger: "axis",
        formatter: function (params) {
          var p = data.points[params[0].dataIndex];
          return "Week of " + esc(p.week) + "<br>" + esc(p.text) +
            (p.value === null ? "" : "<br>95% interval " + p.low + " to " + p.high);
        }
      },
      xAxis: {
        type: "category", data: weeks, boundaryGap: false,
        axisLabel: { formatter: shortDate }
      },
      yAxis: { type: "value", min: lowerBound, max: upperBound, interval: 20 },
      series: [
        {
          name: "low", type: "line", data: low, stack: "interval", stackStrategy: "all",
          symbol: "none", lineStyle: { opacity: 0 }, silent: true, connectNulls: false
        },
        {
          name: "95% interval", type: "line", data: band, stack: "interval", stackStrategy: "all",
          symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: colour, opacity: 0.18 },
          silent: true, connectNulls: false
        },
        {
          name: data.label, type: "line", data: value, symbolSize: 7, connectNulls: false,
          itemStyle: { color: colour }, lineStyle: { width: 2.5, color: colour }
        }
      ]
    };
  }

  function breakdownOption(data) {
    var rows = data.rows.slice().reverse(); // first row at the top of a horizontal chart
    // n sits on the axis label so it is visible for every bar, even one with too few answers.
    var labels = rows.map(function (r) {
      return r.label + "  n=" + r.n + (r.value === null ? " (too few)" : "");
    });
    var colour = brand();
    return {
      textStyle: baseText,
      grid: { left: Math.min(labelWidth(labels), 260), right: 24, top: 8, bottom: 28 },
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          var r = rows[params.dataIndex];
          return "<strong>" + esc(r.label) + "</strong><br>" + esc(r.text) +
            (r.value === null ? "" : "<br>95% interval " + r.low + " to " + r.high);
        }
      },
      xAxis: {
        type: "value",
        min: function (e) { return Math.min(0, lowerBound(e)); },
        max: function (e) { return Math.max(0, upperBound(e)); },
        interval: 20
      },
      yAxis: {
        type: "category", data: labels,
        axisLabel: { fontFamily: FONT, fontSize: 12, width: 240, overflow: "truncate" }
      },
      series: [
        {
          type: "bar", name: data.label, barMaxWidth: 22,
          data: rows.map(function (r) { return r.value; }),
          itemStyle: { color: colour }
        },
        {
          type: "custom", name: "95% interval", silent: true, z: 10,
          data: rows.map(function (r, i) { return [i, r.low, r.high]; }),
          encode: { x: [1, 2], y: 0 },
          renderItem: function (params, api) {
            var lowV = api.value(1);
            var highV = api.value(2);
            if (lowV === null || highV === null || isNaN(lowV) || isNaN(highV)) return null;
            var i = api.value(0);
            var a = api.coord([lowV, i]);
            var b = api.coord([highV, i]);
            var cap = 5;
            var style = { stroke: "#1f2933", lineWidth: 1.5 };
            return {
              type: "group",
              children: [
                { type: "line", shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: style },
                { type: "line", shape: { x1: a[0], y1: a[1] - cap, x2: a[0], y2: a[1] + cap }, style: style },
                { type: "line", shape: { x1: b[0], y1: b[1] - cap, x2: b[0], y2: b[1] + cap }, style: style }
              ]
            };
          }
        }
      ]
    };
  }

  function draw() {
    if (typeof window.echarts === "undefined") return;
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = readJson(el.getAttribute("data-source"));
      if (!data) return;
      var kind = el.getAttribute("data-chart");
      if (kind === "breakdown" && data.rows.length === 0) {
        el.classList.add("chart-empty");
        el.textContent = "No answers in this period.";
        return;
      }
      if (kind === "breakdown") {
        el.style.height = Math.max(160, 48 + data.rows.length * 36) + "px";
      }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(kind === "trend" ? trendOption(data) : breakdownOption(data));
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
    // Printing: the tables behind the charts open (numbers and intervals on paper) and
    // the charts redraw at the page's width; both go back afterwards.
    var opened = [];
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details.chart-table:not([open])").forEach(function (d) {
        d.open = true;
        opened.push(d);
      });
      charts.forEach(function (c) { c.resize(); });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (d) { d.open = false; });
      opened = [];
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
