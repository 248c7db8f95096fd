// Kanban board: drag a card onto the next stage to complete its current stage, or onto
// Lost / Abandoned to close it. Either way the opportunity's own stage gate (the form and
// playbook of its page, GET data-stage-url) opens in a <dialog>; the diagram decides the
// path, so any other drop is refused with the source column's data-refusal message.
// Markup: web/templates/opportunities/board.html.

const CLOSING = new Set(["lost", "abandoned"]);

function setUp(board) {
  const dialog = document.querySelector("dialog.stage-dialog");
  const body = dialog.querySelector(".dialog-body");
  const status = document.querySelector(".board-status");
  let dragged = null;

  // Some browsers report a text node as a drag event's target: start from its element.
  const elementOf = (node) => (node && node.nodeType !== Node.ELEMENT_NODE ? node.parentElement : node);
  const columnOf = (node) => elementOf(node)?.closest(".board-column");

  function say(message) {
    status.textContent = message;
  }

  // What dropping a card from `from` onto `to` means: advance, close, or nothing (refused).
  function intentOf(from, to) {
    if (from.dataset.kind !== "closed" && to.dataset.kind === "closed" && CLOSING.has(to.dataset.key)) {
      return { mode: "close", outcome: to.dataset.key };
    }
    if (from.dataset.kind === "open" && from.dataset.next === to.dataset.key) {
      return { mode: "advance" };
    }
    return null;
  }

  // Put the gate into the dialog; `fresh` (just dropped, not re-shown after an error) also
  // preselects the outcome the drop asked for.
  function show(html, intent, fresh) {
    body.innerHTML = html; // our own server's template, escaped there
    dialog.dataset.mode = intent.mode;
    if (intent.mode === "close") {
      const details = body.querySelector("details.close-form");
      const outcome = body.querySelector("select[name=outcome]");
      if (!details || !outcome || ![...outcome.options].some((o) => o.value === intent.outcome)) {
        body.textContent = board.dataset.cannotClose;
        return;
      }
      details.open = true;
      if (fresh) outcome.value = intent.outcome;
      body.querySelector("textarea[name=reason]")?.focus();
    }
    for (const form of body.querySelectorAll("form")) {
      form.addEventListener("submit", (event) => submit(event, intent));
    }
  }

  async function submit(event, intent) {
    event.preventDefault();
    const form = event.target;
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual",
    }).catch(() => null);
    if (response && response.type === "opaqueredirect") {
      window.location.reload(); // done (or refused with a message): the board shows the flash
    } else if (response && response.status === 400) {
      show(await response.text(), intent, false); // the gate again, with each field's problem
    } else {
      body.textContent = board.dataset.failed;
    }
  }

  async function open(card, intent) {
    body.textContent = board.dataset.loading;
    dialog.dataset.mode = intent.mode;
    dialog.showModal();
    const response = await fetch(card.dataset.stageUrl, { credentials: "same-origin" }).catch(() => null);
    if (response && response.ok) {
      show(await response.text(), intent, true);
    } else {
      body.textContent = board.dataset.failed;
    }
  }

  board.addEventListener("dragstart", (event) => {
    dragged = elementOf(event.target)?.closest(".card[draggable=true]");
    if (!dragged) return;
    event.dataTransfer.setData("text/plain", dragged.dataset.id);
    event.dataTransfer.effectAllowed = "move";
    dragged.classList.add("dragging");
    say("");
  });

  // Highlight the column under the card: allowed (drop-target) or refused (drop-refused).
  function mark(to) {
    for (const column of board.querySelectorAll(".board-column")) {
      const from = dragged && columnOf(dragged);
      const hovered = column === to && column !== from;
      column.classList.toggle("drop-target", hovered && Boolean(intentOf(from, column)));
      column.classList.toggle("drop-refused", hovered && !intentOf(from, column));
    }
  }

  board.addEventListener("dragend", () => {
    dragged?.classList.remove("dragging");
    dragged = null;
    mark(null);
  });

  board.addEventListener("dragover", (event) => {
    const to = columnOf(event.target);
    if (!dragged || !to) return;
    // Accept every drop, even a refused one (a "none" drop effect would cancel the drop
    // event), so that the drop can say why it is refused.
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    mark(to);
  });

  board.addEventListener("drop", (event) => {
    const to = columnOf(event.target);
    const card = dragged;
    if (!card || !to) return;
    event.preventDefault();
    const from = columnOf(card);
    if (to === from) return;
    const intent = intentOf(from, to);
    if (intent) {
      open(card, intent);
    } else {
      say(from.dataset.refusal);
    }
  });

  dialog.querySelector(".dialog-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    body.textContent = "";
  });
}

document.querySelectorAll(".board").forEach(setUp);
