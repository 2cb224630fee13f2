// pavedroad dashboard: sign-in, charts for panels that carry data-series, and sign-out redirect.
(function () {
  "use strict";
  const base = document.querySelector('meta[name="pavedroad-base"]')?.content || "/dashboard";

  const form = document.getElementById("login");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = document.getElementById("api_key").value.trim();
      const response = await fetch(base + "/session", {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ api_key: key }),
      });
      if (response.ok) { window.location = base; return; }
      const body = await response.json().catch(() => ({}));
      document.getElementById("login-error").textContent = (body.message || "sign-in failed") + (body.hint ? " — " + body.hint : "");
    });
  }

  document.body.addEventListener("htmx:afterRequest", (event) => {
    const path = event.detail.pathInfo?.requestPath || "";
    if (path.endsWith("/logout")) { window.location = base + "/login"; }
    if (event.detail.xhr && event.detail.xhr.status === 401) { window.location = base + "/login"; }
  });

  // The sticky header's height, for the panels' scroll-margin-top: an anchor link never hides a title.
  const header = document.querySelector("header");
  if (header) {
    const measure = () => document.documentElement.style.setProperty("--header-h", header.offsetHeight + "px");
    measure();
    if (typeof ResizeObserver !== "undefined") { new ResizeObserver(measure).observe(header); }
  }

  // Any element with data-series='{"x":[...],"series":[{"label":..,"values":[...],"dash":bool}],
  // "yrange":[min,max]}' becomes a uPlot chart; a given yrange is the y-axis (e.g. one that includes the objective).
  function drawCharts(root) {
    root.querySelectorAll("[data-series]:not([data-drawn])").forEach((el) => {
      if (typeof uPlot === "undefined") { return; }
      const spec = JSON.parse(el.dataset.series);
      const colors = ["#4aa3ff", "#ffb84a", "#3fcf8e", "#ff6b6b", "#c38bff"];
      const few = spec.x.length < 30;
      const opts = {
        width: Math.max(320, el.clientWidth || 520), height: 220,
        scales: { x: { time: spec.time !== false }, y: spec.yrange ? { range: spec.yrange } : {} },
        axes: [{ stroke: "#8b9bb0", grid: { stroke: "#263241" } }, { stroke: "#8b9bb0", grid: { stroke: "#263241" }, label: spec.ylabel || "", size: 60 }],
        series: [{}].concat(spec.series.map((s, i) => ({
          label: s.label, stroke: colors[i % colors.length], width: 2, dash: s.dash ? [6, 4] : undefined,
          points: { show: few && !s.dash },
        }))),
      };
      el.uplot = new uPlot(opts, [spec.x].concat(spec.series.map((s) => s.values)), el);
      el.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", () => drawCharts(document));
  document.body.addEventListener("htmx:afterSwap", (event) => drawCharts(event.target));
})();
