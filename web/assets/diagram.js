// Draws a BPMN diagram read-only and marks where an instance has been and where it waits.
// Markup: <div class="diagram" data-diagram-url="..." data-done='["a"]' data-active='["b"]'></div>
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

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
  container.dataset.ready = "true";
}

document.querySelectorAll(".diagram[data-diagram-url]").forEach(draw);
