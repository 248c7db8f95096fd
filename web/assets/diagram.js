// Draws a BPMN diagram read-only and marks where an instance has been and where it waits.
// Markup: <div class="diagram" data-diagram-url="..." data-done='["a"]' data-active='["b"]'></div>
// Optional: data-errors='["c"]' marks where a step failed; data-counts='{"b": 3}' draws a heatmap
// of where work waits (a badge per element, coloured by its share, linking to
// data-count-link with __element__ replaced by the element id); data-averages='{"b": "avg 2 days"}'
// writes a label under each element.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

const HEAT_LEVELS = 4;

async function draw(container) {
  const viewer = new NavigatedViewer({ container });
  const response = await fetch(container.dataset.diagramUrl, { credentials: "same-origin" });
  if (!response.ok) {
    container.textContent = container.dataset.failed || "The diagram could not be loaded.";
    return;
  }
  try {
    await viewer.importXML(await response.text());
  } catch (error) {
    container.textContent = container.dataset.failed || "The diagram could not be loaded.";
    return;
  }
  viewer.get("canvas").zoom("fit-viewport");
  const registry = viewer.get("elementRegistry");
  const canvas = viewer.get("canvas");
  const mark = (ids, css) => {
    for (const id of JSON.parse(ids || "[]")) {
      if (registry.get(id)) canvas.addMarker(id, css);
    }
  };
  mark(container.dataset.done, "df-done");
  mark(container.dataset.active, "df-active");
  mark(container.dataset.errors, "df-error");
  heatmap(container, viewer);
  container.dataset.ready = "true";
}

function heatmap(container, viewer) {
  if (!container.dataset.counts && !container.dataset.averages) return;
  const registry = viewer.get("elementRegistry");
  const canvas = viewer.get("canvas");
  const overlays = viewer.get("overlays");
  const counts = JSON.parse(container.dataset.counts || "{}");
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  for (const [id, count] of Object.entries(counts)) {
    const element = registry.get(id);
    if (!element || !count) continue;
    const share = count / total;
    const level = Math.max(1, Math.ceil(share * HEAT_LEVELS));
    canvas.addMarker(id, `df-heat-${level}`);
    const badge = document.createElement(container.dataset.countLink ? "a" : "span");
    badge.className = `df-count df-count-${level}`;
    badge.dataset.element = id;
    badge.textContent = String(count);
    badge.title = `${Math.round(share * 100)}%`;
    if (container.dataset.countLink) badge.href = container.dataset.countLink.replace("__element__", encodeURIComponent(id));
    overlays.add(id, "df-count", { position: { top: -10, right: 10 }, html: badge });
  }
  for (const [id, text] of Object.entries(JSON.parse(container.dataset.averages || "{}"))) {
    const element = registry.get(id);
    if (!element) continue;
    const label = document.createElement("span");
    label.className = "df-average";
    label.dataset.element = id;
    label.textContent = text;
    overlays.add(id, "df-average", { position: { bottom: -4, left: 0 }, html: label });
  }
}

document.querySelectorAll(".diagram[data-diagram-url]").forEach(draw);
