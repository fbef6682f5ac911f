// Retention curves of the Value page: share still subscribed by days since the first
// survey, one line per NPS group, its 95% band as dashed lines. Data from json_script.
(function () {
  "use strict";
  var COLOURS = { promoter: "#1a7f37", passive: "#9a6700", detractor: "#cf222e" };

  function draw() {
    var el = document.getElementById("retention-chart");
    var src = document.getElementById("retention-data");
    if (!el || !src || !window.echarts) { return; }
    var groups = JSON.parse(src.textContent).filter(function (g) { return g.enough; });
    var series = [];
    groups.forEach(function (g) {
      var colour = COLOURS[g.label] || "#555";
      var pick = function (i) { return g.curve.map(function (p) { return [p[0], p[i] * 100]; }); };
      series.push({ name: g.label + " (n=" + g.n + ")", type: "line", step: "end",
                    showSymbol: false, data: pick(1), lineStyle: { color: colour, width: 2 },
                    itemStyle: { color: colour } });
      [2, 3].forEach(function (i) {
        series.push({ name: g.label + " (n=" + g.n + ")", type: "line", step: "end",
                      showSymbol: false, data: pick(i), silent: true,
                      lineStyle: { color: colour, width: 1, type: "dashed", opacity: 0.6 } });
      });
    });
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v.toFixed(1) + "%"; } },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "value", name: "days since first survey", nameLocation: "middle", nameGap: 25 },
      yAxis: { type: "value", name: "% still subscribed", scale: true, max: 100 },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
