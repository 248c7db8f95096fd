// Draws two versions of a process side by side and marks what changed between them:
// added elements green on the newer diagram, removed ones red on the older, changed amber on both.
// Markup: <div class="diff-diagrams" data-marks='{"added":[],"removed":[],"changed":[]}'> holding,
// per version, <div class="diff-diagram" data-side="old|new"> and a JSON <script class="diagram-xml">.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

const MARKERS = { old: { removed: "df-removed", changed: "df-changed" },
                  new: { added: "df-added", changed: "df-changed" } };

async function draw(container, marks) {
  const source = container.parentElement.querySelector("script.diagram-xml");
  const xml = source ? JSON.parse(source.textContent) : null;
  if (!xml) {
    container.textContent = container.dataset.failed;
    return;
  }
  const viewer = new NavigatedViewer({ container });
  try {
    await viewer.importXML(xml);
  } catch (error) {
    container.textContent = container.dataset.failed;
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  canvas.zoom("fit-viewport");
  for (const [status, marker] of Object.entries(MARKERS[container.dataset.side])) {
    for (const id of marks[status] || []) {
      if (registry.get(id)) canvas.addMarker(id, marker);  // a process or an undrawn element has no shape
    }
  }
  container.dataset.ready = "true";
}

document.querySelectorAll(".diff-diagrams").forEach((holder) => {
  const marks = JSON.parse(holder.dataset.marks || "{}");
  holder.querySelectorAll(".diff-diagram").forEach((container) => draw(container, marks));
});
