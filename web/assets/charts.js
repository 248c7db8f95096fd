// Draws every <canvas data-chart='{Chart.js config}'> on the page with Chart.js.
// The page writes the whole config (type, data, options) as JSON: no inline scripts (CSP).
import { Chart, registerables } from "chart.js";

Chart.register(...registerables);

document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
  const config = JSON.parse(canvas.dataset.chart);
  config.options = { responsive: true, maintainAspectRatio: false, ...(config.options || {}) };
  new Chart(canvas, config);
  canvas.dataset.ready = "true";
});
