// The cockpit's charts (Apache ECharts, served locally): each [data-chart] element carries its data as JSON.
(function () {
  "use strict";
  function trend(d) {
    var series = [
      { name: "实际", type: "line", data: d.actual, connectNulls: true, symbolSize: 6 },
      { name: "线性进度", type: "line", data: d.expected, lineStyle: { type: "dashed" }, symbol: "none" }
    ];
    if (d.target !== null && d.target !== undefined) {
      series[1].markLine = { symbol: "none", data: [{ yAxis: d.target, name: "目标" }], label: { formatter: "目标 {c}" } };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { data: ["实际", "线性进度"], bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 40 },
      xAxis: { type: "category", data: d.x },
      yAxis: { type: "value", name: d.unit },
      series: series
    };
  }
  function bars(d) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: d.x, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: d.unit },
      series: [{ type: "bar", data: d.y, name: "实际" }]
    };
  }
  function pyramid(d) {
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c} 家" },
      series: [{ type: "funnel", sort: "ascending", left: "10%", width: "80%", label: { formatter: "{b} {c}" },
                 data: d.items.map(function (i) { return { name: i.name, value: i.value }; }) }]
    };
  }
  function pie(d) {
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c} " + d.unit + "（{d}%）" },
      legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}\n{c}" },
                 data: d.items.map(function (i) { return { name: i.name, value: i.value }; }) }]
    };
  }
  function stack(d) {
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 56, right: 16, top: 16, bottom: 64 },
      xAxis: { type: "category", data: d.x, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: d.unit },
      series: d.series.map(function (s) { return { name: s.name, type: "bar", stack: "money", data: s.data }; })
    };
  }
  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d;
      try { d = JSON.parse(el.getAttribute("data-chart")); } catch (e) { return; }
      var option = d.type === "bars" ? bars(d) : d.type === "pyramid" ? pyramid(d) : d.type === "pie" ? pie(d)
        : d.type === "stack" ? stack(d) : trend(d);
      var chart = window.echarts.init(el);
      chart.setOption(option);
      el.setAttribute("data-drawn", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
