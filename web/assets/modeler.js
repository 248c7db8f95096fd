// The process designer (web/templates/designer/edit.html): the BPMN modeler with the Camunda 7
// properties panel and bpmnlint's live findings, a dmn-js tab per decision table, and the
// toolbar's Save draft, Check, Deploy and Preview form, which post JSON to web/designer.py
// (the CSRF token in a header). The server's problems and bpmnlint's are listed together,
// and each is pinned on its element.
import BpmnModeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import lintModule from "bpmn-js-bpmnlint";
import DmnModeler from "dmn-js/lib/Modeler";
import lintConfig from "./lib/bpmnlint_config.js";
import translateZhModule from "./lib/translate_zh.js";

// The modelers' own strings (palette, context pad, properties panel, bpmnlint, dmn-js) follow the
// page's language: Chinese readers get lib/translate_zh.js, everyone else the packages' English.
const languageModules = document.documentElement.lang.toLowerCase().startsWith("zh") ? [translateZhModule] : [];

function setUp(root) {
  const data = JSON.parse(document.getElementById("design-data").textContent);
  const text = data.messages;
  const status = root.querySelector(".designer-status");
  const problemList = root.querySelector(".problems ul");
  const previewButton = root.querySelector("[data-action=preview]");
  const deployDialog = document.querySelector("dialog.deploy-dialog");
  const previewDialog = document.querySelector("dialog.preview-dialog");
  const dmnEditors = new Map(); // file name -> dmn-js modeler, made when its tab first opens
  let revision = data.revision;
  let dirty = false;
  let serverProblems = [];
  let lintIssues = {};
  let selectedTask = null;

  const modeler = new BpmnModeler({
    container: root.querySelector(".bpmn-canvas"),
    propertiesPanel: { parent: root.querySelector(".properties-panel") },
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule, lintModule, ...languageModules,
    ],
    moddleExtensions: { camunda: camundaModdle },
    linting: { active: true, bpmnlint: lintConfig },
  });
  root.bpmnModeler = modeler; // for the browser tests and the console

  function say(message, kind = "") {
    status.textContent = message;
    status.dataset.kind = kind;
  }

  // --- files ------------------------------------------------------------------------------

  async function currentFiles() {
    const files = { ...data.files };
    files[data.diagram] = (await modeler.saveXML({ format: true })).xml;
    for (const [name, editor] of dmnEditors) {
      files[name] = (await editor.saveXML({ format: true })).xml;
    }
    return files;
  }

  // Every endpoint answers a refusal in JSON; a 400 page instead means the CSRF token expired
  // (the editor was open for long): fetch a fresh one and send once more.
  async function post(url, body, retried = false) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body),
    }).catch(() => null);
    if (!response) return { ok: false, status: 0, body: { error: text.offline } };
    const isJson = (response.headers.get("Content-Type") || "").includes("json");
    if (response.status === 400 && !isJson && !retried && await refreshToken()) {
      return post(url, body, true);
    }
    const answer = isJson ? await response.json() : { html: await response.text() };
    if (!response.ok) {
      answer.error ||= response.status === 403 ? text.forbidden : response.status === 413 ? text.too_large : text.failed;
      delete answer.html;
    }
    return { ok: response.ok, status: response.status, body: answer };
  }

  async function refreshToken() {
    const response = await fetch(root.dataset.tokenUrl, { credentials: "same-origin" }).catch(() => null);
    if (!response || !response.ok) return false;
    root.dataset.csrf = (await response.json()).token;
    return true;
  }

  // --- problems: the server's check and bpmnlint, listed together and pinned on the diagram --

  function clearMarks() {
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    modeler.get("overlays").remove({ type: "df-problem" });
    registry.forEach((element) => {
      canvas.removeMarker(element, "df-problem");
      canvas.removeMarker(element, "df-warning");
    });
    root.querySelectorAll("[role=tab].has-problems").forEach((tab) => tab.classList.remove("has-problems"));
  }

  function mark(problem) {
    const registry = modeler.get("elementRegistry");
    const onDiagram = !problem.file || problem.file === data.diagram;
    const element = onDiagram && problem.element_id && registry.get(problem.element_id);
    if (problem.file && !onDiagram) {
      root.querySelector(`[role=tab][data-file="${CSS.escape(problem.file)}"]`)?.classList.add("has-problems");
    }
    if (!element) return;
    const warning = problem.severity === "warning";
    modeler.get("canvas").addMarker(element, warning ? "df-warning" : "df-problem");
    const badge = document.createElement("div");
    badge.className = warning ? "df-problem-badge df-warning-badge" : "df-problem-badge";
    badge.title = problem.message;
    badge.textContent = "!";
    const note = document.createElement("span");
    note.textContent = problem.message;
    badge.append(note);
    modeler.get("overlays").add(element, "df-problem", { position: { top: -12, left: -12 }, html: badge });
  }

  function lintEntries() {
    const registry = modeler.get("elementRegistry");
    const entries = [];
    for (const [id, issues] of Object.entries(lintIssues)) {
      for (const issue of issues) {
        const element = registry.get(issue.actualElementId || id);
        const name = element?.businessObject?.name || issue.actualElementId || id;
        entries.push({ id: issue.actualElementId || id, category: issue.category,
                       text: `${name}: ${modeler.get("translate")(issue.message)} (bpmnlint ${issue.rule})` });
      }
    }
    return entries;
  }

  function renderProblems() {
    problemList.replaceChildren();
    const lint = lintEntries();
    for (const problem of serverProblems) {
      problemList.append(problemItem(problem.text, problem.element_id, problem.severity || "error", problem.file));
    }
    for (const entry of lint) {
      problemList.append(problemItem(entry.text, entry.id, `lint-${entry.category}`, data.diagram));
    }
    root.querySelector(".problems-count").textContent = text.counts
      .replace("{check}", serverProblems.length).replace("{lint}", lint.length);
  }

  function problemItem(message, elementId, kind, file) {
    const item = document.createElement("li");
    item.className = kind;
    item.dataset.elementId = elementId || "";
    const link = document.createElement("button");
    link.type = "button";
    link.className = "link";
    link.textContent = message;
    link.addEventListener("click", () => reveal(elementId, file));
    item.append(link);
    return item;
  }

  function reveal(elementId, file) {
    if (file && file !== data.diagram) {
      showTab(file);
      return;
    }
    showTab(data.diagram);
    const element = elementId && modeler.get("elementRegistry").get(elementId);
    if (element) {
      modeler.get("canvas").scrollToElement(element);
      modeler.get("selection").select(element);
    }
  }

  function showServerProblems(problems) {
    serverProblems = problems || [];
    clearMarks();
    serverProblems.forEach(mark);
    renderProblems();
  }

  modeler.on("linting.completed", ({ issues }) => {
    lintIssues = issues || {};
    renderProblems();
  });

  // --- tabs: the diagram, then one per decision table ---------------------------------------

  async function showTab(file) {
    for (const tab of root.querySelectorAll("[role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.file === file));
    }
    for (const panel of root.querySelectorAll(".tab-panel")) {
      panel.hidden = panel.dataset.file !== file;
    }
    if (file === data.diagram) {
      modeler.get("canvas").resized();
      return;
    }
    if (!dmnEditors.has(file)) {
      // dmn-js 17 drops `common.additionalModules` when it builds a view, so each view gets them.
      const views = { additionalModules: languageModules };
      const editor = new DmnModeler({
        container: root.querySelector(`.tab-panel[data-file="${CSS.escape(file)}"]`),
        drd: views, decisionTable: views, literalExpression: views, boxedExpression: views,
      });
      dmnEditors.set(file, editor);
      editor.on("views.changed", () => {
        const viewer = editor.getActiveViewer();
        if (viewer && !viewer.dealflowWatched) {
          viewer.dealflowWatched = true;
          viewer.on("commandStack.changed", () => { dirty = true; });
        }
      });
      try {
        await editor.importXML(data.files[file]);
        const table = editor.getViews().find((view) => view.type === "decisionTable");
        if (table) await editor.open(table); // the table itself, not the requirements diagram
      } catch (error) {
        dmnEditors.delete(file); // its file is kept as it came
        say(text.dmn_failed.replace("{file}", file), "error");
      }
    }
  }

  root.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => showTab(tab.dataset.file)));

  // --- actions --------------------------------------------------------------------------------

  async function saveDraft() {
    say(text.saving);
    const result = await post(root.dataset.saveUrl, { files: await currentFiles(), revision, based_on: data.based_on });
    if (result.ok) {
      revision = result.body.revision;
      dirty = false;
      document.querySelector(".draft-state").textContent = text.draft_saved_state;
      root.querySelector(".discard-form")?.removeAttribute("hidden");
      say(result.body.message, "ok");
    } else {
      say(result.body.error, "error");
      if (result.body.problems) showServerProblems(result.body.problems);
    }
  }

  async function check() {
    say(text.checking);
    const result = await post(root.dataset.checkUrl, { files: await currentFiles() });
    if (result.ok) {
      showServerProblems(result.body.problems);
      say(result.body.message, result.body.errors ? "error" : "ok");
    } else {
      say(result.body.error, "error");
    }
  }

  async function deploy(event) {
    event.preventDefault();
    const form = event.target;
    const error = deployDialog.querySelector(".dialog-error");
    error.textContent = text.deploying;
    const result = await post(root.dataset.deployUrl, { files: await currentFiles(), note: form.note.value, revision });
    if (result.ok) {
      dirty = false;
      window.location.assign(result.body.location);
      return;
    }
    error.textContent = result.body.error;
    if (result.body.problems && result.body.problems.length) {
      showServerProblems(result.body.problems);
      say(result.body.error, "error");
    }
  }

  async function previewForm() {
    if (!selectedTask) return;
    const body = previewDialog.querySelector(".dialog-body");
    body.textContent = text.loading;
    previewDialog.showModal();
    const xml = (await modeler.saveXML({ format: true })).xml;
    const result = await post(root.dataset.previewUrl, { xml, file: data.diagram, task_id: selectedTask.id });
    if (result.body.html !== undefined) {
      body.innerHTML = result.body.html; // our own server's template, escaped there
    } else {
      body.textContent = result.body.error;
    }
  }

  modeler.on("selection.changed", ({ newSelection }) => {
    const only = newSelection.length === 1 ? newSelection[0] : null;
    selectedTask = only && only.type === "bpmn:UserTask" ? only : null;
    previewButton.disabled = !selectedTask;
  });
  modeler.on("commandStack.changed", () => { dirty = true; });

  // An action that fails in the browser (a diagram that cannot be written out) says so.
  const guarded = (action) => (event) => action(event).catch(() => say(text.failed, "error"));

  root.querySelector("[data-action=save]").addEventListener("click", guarded(saveDraft));
  root.querySelector("[data-action=check]").addEventListener("click", guarded(check));
  root.querySelector("[data-action=deploy]").addEventListener("click", () => {
    deployDialog.querySelector(".dialog-error").textContent = "";
    deployDialog.showModal();
  });
  previewButton.addEventListener("click", guarded(previewForm));
  deployDialog.querySelector("form.deploy-form").addEventListener("submit", guarded(deploy));
  deployDialog.querySelector("[data-action=cancel]").addEventListener("click", () => deployDialog.close());
  previewDialog.querySelector("[data-action=close]").addEventListener("click", () => previewDialog.close());
  root.querySelector(".discard-form")?.addEventListener("submit", (event) => {
    if (!window.confirm(text.confirm_discard)) {
      event.preventDefault();
    } else {
      dirty = false;
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  modeler.importXML(data.files[data.diagram]).then(({ warnings }) => {
    modeler.get("canvas").zoom("fit-viewport");
    dirty = false;
    root.dataset.ready = "true";
    if (warnings.length) say(text.import_warnings.replace("{count}", warnings.length), "error");
    if (data.check_now) check();
  }).catch(() => {
    say(text.import_failed, "error");
  });
}

const root = document.getElementById("designer");
if (root) setUp(root);
