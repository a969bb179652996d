/**
 * Dashboard accessibility (CONTRACT §13). What the page otherwise shows only by a colour or a
 * badge — a denied or failed call, a window that crashed or closed, a reload — is also said in
 * one polite live region (`data-testid="announce"`); failed calls are summed up once a second, so
 * that an app failing in a loop does not flood the reader. The "new session" disclosure says
 * whether its form is open and gives focus back when the form goes away; a rebuilt executa card
 * keeps the focus its control had.
 */
(function (win) {
  "use strict";
  const dash = win.__annaDash;
  if (!dash) return;
  const { $, host } = dash;
  const CALLS_MS = 1000;

  let queued = [];
  let sayTimer = null;
  /** Says `text` soon; what is said in the same moment is read as one message. */
  function say(text) {
    queued.push(text);
    if (sayTimer !== null) return;
    sayTimer = win.setTimeout(() => {
      sayTimer = null;
      const el = $("announce");
      // a repeated message is a new text node, so the reader says it again
      el.replaceChildren(win.document.createTextNode(queued.join(". ")));
      queued = [];
    }, 100);
  }
  dash.announce = say;

  let failed = [];
  let callTimer = null;
  function sayCalls() {
    callTimer = null;
    const last = failed[failed.length - 1];
    say(failed.length === 1 ? `call ${last}` : `${failed.length} calls failed, last ${last}`);
    failed = [];
  }

  const statuses = new Map(); // wid → the status last announced or seen
  const name = (w) => `window ${w.title || w.view}`;
  function onWindows(list) {
    for (const w of list) {
      const was = statuses.get(w.wid);
      if (was !== undefined && was !== w.status) say(`${name(w)} ${w.status}`);
      statuses.set(w.wid, w.status);
    }
  }

  function wireNewSession() {
    const button = $("new-session");
    const form = $("new-session-form");
    const sync = () => button.setAttribute("aria-expanded", String(!form.hidden));
    new win.MutationObserver(sync).observe(form, { attributeFilter: ["hidden"] });
    sync();
    // Cancel goes away with the form: focus back to the button that opened it
    $("new-session-cancel").addEventListener("click", () => button.focus());
  }

  /**
   * The executa cards are rebuilt on every status change (a Restart makes two): focus on a card's
   * control moves to the same control of the new card, not to the page.
   */
  function keepExecutaFocus() {
    const box = $("executas");
    let last = null; // {toolId, testid} of the control last focused in a card
    const key = (el) => el.dataset.testid || el.tagName.toLowerCase();
    box.addEventListener("focusin", (ev) => {
      const card = ev.target.closest("[data-tool-id]");
      last = card ? { toolId: card.dataset.toolId, testid: key(ev.target) } : null;
    });
    // left on purpose (the control is still there): a rebuild must not pull focus back
    box.addEventListener("focusout", (ev) => {
      win.queueMicrotask(() => {
        if (ev.target.isConnected && !box.contains(win.document.activeElement)) last = null;
      });
    });
    new win.MutationObserver(() => {
      const now = win.document.activeElement;
      if (!last || (now && now !== win.document.body)) return;
      const card = [...box.children].find((c) => c.dataset.toolId === last.toolId);
      const el = card &&
        [...card.querySelectorAll("button, summary")].find((x) => key(x) === last.testid);
      if (el) el.focus();
    }).observe(box, { childList: true });
  }

  dash.register({
    init() {
      wireNewSession();
      keepExecutaFocus();
      host.on("windows", onWindows);
      host.on("reloaded", ({ wid }) => {
        const w = host.windows().find((x) => x.wid === wid);
        if (w) say(`${name(w)} reloaded`);
      });
    },
    reset() {
      statuses.clear();
      failed = [];
    },
    log({ entry, history }) {
      if (history || entry.type !== "rpc" || entry.outcome === "ok") return;
      if (entry.session_id !== host.sessionId()) return;
      const code = entry.error_code ? ` (${entry.error_code})` : "";
      failed.push(`${entry.ns}.${entry.method} ${entry.outcome}${code}`);
      if (callTimer === null) callTimer = win.setTimeout(sayCalls, CALLS_MS);
    },
  });
})(globalThis);
