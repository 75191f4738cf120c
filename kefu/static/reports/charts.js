// The report's two charts from the data the page gave (json_script "report-chart"): the figure by day
// or month (a line) and by the chosen dimension (bars). The tables under them hold the same numbers.
(function () {
  "use strict";
  if (!window.echarts) return;
  var charts = [];
  var places = document.getElementById("region-chart");
  if (places) {
    var byPlace = JSON.parse(places.textContent);
    var node = document.getElementById("chart-regions");
    if (node) {
      var regionChart = window.echarts.init(node);
      regionChart.setOption({
        tooltip: { trigger: "axis" },
        legend: {},
        grid: { left: 48, right: 16, top: 40, bottom: 64 },
        xAxis: { type: "category", data: byPlace.places, axisLabel: { rotate: 30 } },
        yAxis: { type: "value" },
        series: byPlace.series.map(function (s) { return { type: "bar", name: s.name, data: s.data }; }),
      });
      charts.push(regionChart);
    }
  }
  var source = document.getElementById("report-chart");
  if (!source) {
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    return;
  }
  var data = JSON.parse(source.textContent);

  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) return;
    var chart = window.echarts.init(node);
    chart.setOption(option);
    charts.push(chart);
  }

  draw("chart-series", {
    tooltip: { trigger: "axis" },
    grid: { left: 48, right: 16, top: 16, bottom: 32 },
    xAxis: { type: "category", data: data.x },
    yAxis: { type: "value", name: data.unit },
    series: [{ type: "line", name: data.title, data: data.y, smooth: true, areaStyle: { opacity: 0.15 } }],
  });
  draw("chart-breakdown", {
    tooltip: { trigger: "axis" },
    grid: { left: 120, right: 24, top: 16, bottom: 24 },
    xAxis: { type: "value", name: data.unit },
    yAxis: { type: "category", data: data.bars.slice().reverse() },
    series: [{ type: "bar", name: data.title, data: data.barValues.slice().reverse() }],
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
