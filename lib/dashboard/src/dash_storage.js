/**
 * Dashboard storage panel (CONTRACT §13): the session's runtime_state with its size against
 * 256 KiB, per-key add / edit / delete and a raw JSON editor, all saved with
 * session.set_runtime_state (§4.4), which replaces the whole bucket.
 */
(function (win) {
  "use strict";
  const dash = win.__annaDash;
  if (!dash) return;
  const { $, h, host, json, bytes, head, act, parseJson } = dash;

  let state = {};
  // key → its table row and the preview it shows: a write re-lays out only the rows it changed
  const rows = new Map();
  let rowOrder = "";
  // The raw editor holds the developer's text until it is saved or discarded: an app write
  // arriving meanwhile (or a failed Replace) must not wipe an edit in progress.
  const editor = { dirty: false, loaded: "" }; // loaded: the state text last put in the editor
  function loadEditor(text) {
    $("storage-editor").value = text;
    editor.loaded = text;
    editor.dirty = false;
  }
  function renderEditor(text) {
    const el = $("storage-editor");
    if (!editor.dirty && win.document.activeElement !== el) loadEditor(text);
    const stale = text !== editor.loaded;
    const note = $("storage-editor-note");
    note.hidden = !stale;
    note.textContent = stale
      ? "storage has changed since this text was loaded: Replace overwrites those changes, " +
        "Discard edits loads the current state"
      : "";
  }
  function renderStorage() {
    const size = bytes(state);
    const pct = Math.round((size / dash.MAX_STATE_BYTES) * 1000) / 10;
    const sizeEl = $("storage-size");
    sizeEl.textContent = `${size} B / ${dash.MAX_STATE_BYTES} B (${pct}%)`;
    sizeEl.dataset.bytes = String(size);
    sizeEl.classList.toggle("warn", pct >= 80);
    const text = json(state);
    $("storage-json").textContent = text;
    renderEditor(text);
    const keys = Object.keys(state).sort();
    for (const key of keys) {
      const shown = preview(state[key]);
      const row = rows.get(key);
      if (!row) rows.set(key, { tr: keyRow(key, shown), shown });
      else if (row.shown !== shown) {
        row.shown = shown;
        row.tr.querySelector("code").textContent = shown;
      }
    }
    const live = new Set(keys);
    for (const key of rows.keys()) if (!live.has(key)) rows.delete(key);
    const order = keys.join("\n");
    if (order !== rowOrder) {
      rowOrder = order;
      $("storage-keys").replaceChildren(...keys.map((key) => rows.get(key).tr));
    }
  }
  function keyRow(key, shown) {
    return h(
      "tr",
      { testid: "storage-key-row", data: { key } },
      h("td", { class: "key", text: key }),
      h("td", {}, h("code", { text: shown })),
      h(
        "td",
        { class: "nowrap" },
        h("button", {
          type: "button",
          class: "small",
          testid: "storage-edit",
          text: "Edit",
          "aria-label": `Edit ${key}`,
          on: { click: () => editKey(key) },
        }),
        h("button", {
          type: "button",
          class: "small danger",
          testid: "storage-delete",
          text: "Delete",
          "aria-label": `Delete ${key}`,
          on: { click: act(() => deleteKey(key)) },
        }),
      ),
    );
  }
  // storage events can come hundreds a second: the panel follows at most every 250 ms
  let storageTimer = null;
  let storageAt = 0;
  function scheduleStorage() {
    if (storageTimer !== null) return;
    storageTimer = win.setTimeout(() => {
      storageTimer = null;
      storageAt = Date.now();
      renderStorage();
    }, Math.max(0, storageAt + 250 - Date.now()));
  }
  function preview(v) {
    const s = JSON.stringify(v);
    return s.length > 120 ? `${head(s, 117)}…` : s;
  }
  function editKey(key) {
    const form = $("storage-add-form");
    form.elements.key.value = key;
    form.elements.value.value = JSON.stringify(state[key], null, 2);
    form.elements.value.focus();
  }
  // set_runtime_state replaces the whole bucket, so each write starts from the state the one
  // before it left: an Edit and a Delete clicked in quick succession must not both start from the
  // same old state (the second would put back what the first changed).
  let writes = Promise.resolve();
  // The write is answered on the socket, the runtime's events come on the session SSE: an event
  // sent before the write can arrive after its answer. From a write until its own event (the
  // bucket it wrote), older events are not applied; events come in order, so after it all are.
  const OWN_EVENT_WAIT_MS = 5000;
  let awaiting = null; // {text: JSON of the bucket written, latest: newest event held back}
  /** Saves `change(state)` once the writes before it are done; resolves to what it saved. */
  function save(change) {
    const run = writes.then(async () => {
      const sid = host.sessionId();
      if (!sid) throw new Error("no session selected");
      const next = change(state);
      const mine = { text: JSON.stringify(next), latest: null };
      awaiting = mine;
      try {
        await host.rpc("session.set_runtime_state", { session_id: sid, runtime_state: next });
      } catch (e) {
        if (awaiting === mine) {
          awaiting = null; // not written: what was held back is the bucket now
          if (mine.latest) {
            state = mine.latest;
            scheduleStorage(); // later: a refused raw edit is marked dirty first, and kept
          }
        }
        throw e;
      }
      // else its event came first, and maybe newer ones after it: state is already as new
      if (awaiting === mine) {
        state = next;
        // its event lost on the way (a stream resumed past it) must not hold the panel for good
        setTimeout(() => {
          if (awaiting !== mine) return;
          awaiting = null;
          if (mine.latest) {
            state = mine.latest;
            scheduleStorage();
          }
        }, OWN_EVENT_WAIT_MS);
      }
      renderStorage();
      return next;
    });
    writes = run.catch(() => {});
    return run;
  }
  async function deleteKey(key) {
    const next = await save((s) => {
      const n = { ...s };
      delete n[key];
      return n;
    });
    // the focused Delete went with its row: on to the next row's, or to the key field
    const left = $("storage-keys").querySelectorAll('[data-testid="storage-delete"]');
    const at = Object.keys(next).sort().findIndex((k) => k > key);
    (left[at] || left[left.length - 1] || $("storage-add-key")).focus();
  }

  /**
   * Why the app could not use `key` with storage.get/set/delete (the key rules of §5.5, as the
   * runtime checks them), or null. set_runtime_state itself takes any key.
   */
  function keyProblem(key) {
    const chars = (s) => [...s].length;
    if (chars(key) > 1024) return "it is longer than 1024 characters";
    // deno-lint-ignore no-control-regex -- matching control characters is the point
    if (/[\u0000-\u001f\u007f-\u009f]/.test(key)) return "it contains a control character";
    if (key.includes("\\")) return "it contains a backslash";
    if (/[\u200b-\u200d\ufeff]/.test(key)) return "it contains a zero-width character";
    if (/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(key)) {
      return "it contains a bidi control character";
    }
    for (const seg of key.split("/")) {
      if (seg.length === 0) return "it has an empty segment (leading, trailing or double '/')";
      if (seg === "." || seg === "..") return `it has a '${seg}' segment`;
      if (chars(seg) > 128) return "a segment is longer than 128 characters";
      if (seg.trim() !== seg) return "a segment has leading or trailing whitespace";
    }
    return null;
  }
  dash.storageKeyProblem = keyProblem;
  /** A value field's JSON; bare words get the fix (quotes), as the placeholder shows. */
  function parseValue(text) {
    try {
      return parseJson(text, "value", undefined);
    } catch (e) {
      const t = text.trim();
      if (/^[^\s"{[\-\d]/.test(t) && !/^(true|false|null)\b/.test(t)) {
        throw new Error(`${e.message}; text needs double quotes: ${JSON.stringify(t)}`);
      }
      throw e;
    }
  }

  dash.register({
    init() {
      const form = $("storage-add-form");
      form.addEventListener(
        "submit",
        act(() => {
          const key = form.elements.key.value;
          if (!key) throw new Error("storage key is required");
          // a key already in the bucket (a seed) may still be edited as it is
          const bad = Object.hasOwn(state, key) ? null : keyProblem(key);
          if (bad) {
            throw new Error(
              `storage key ${JSON.stringify(key)} breaks the key rules: ${bad}; ` +
                "the app's storage calls would answer invalid_path",
            );
          }
          const value = parseValue(form.elements.value.value);
          if (value === undefined) throw new Error('value is required (JSON, e.g. "text" or 1)');
          return save((s) => ({ ...s, [key]: value })).then(() => {
            form.elements.key.value = "";
            form.elements.value.value = "";
          });
        }),
      );
      $("storage-editor").addEventListener("input", () => (editor.dirty = true));
      $("storage-save").addEventListener(
        "click",
        act(async () => {
          const next = parseJson($("storage-editor").value, "runtime_state", {});
          if (next === null || typeof next !== "object" || Array.isArray(next)) {
            throw new Error("runtime_state must be a JSON object");
          }
          editor.dirty = false;
          try {
            await save(() => next);
          } catch (e) {
            editor.dirty = true; // refused (too large, …): the text stays for another try
            throw e;
          }
          loadEditor(json(state));
          renderEditor(editor.loaded);
        }),
      );
      $("storage-discard").addEventListener("click", () => {
        loadEditor(json(state));
        renderEditor(editor.loaded);
      });
    },
    reset() {
      state = {};
      awaiting = null;
      editor.dirty = false; // another session: its own text
      renderStorage();
    },
    session(info) {
      state = info.runtime_state && typeof info.runtime_state === "object"
        ? info.runtime_state
        : {};
      renderStorage();
    },
    event(env) {
      // the write's own event was evicted before this page read it: nothing left to wait for
      if (env.kind === "events_dropped") awaiting = null;
      if (env.kind === "runtime_state_synced" && env.payload && env.payload.runtime_state) {
        const bucket = env.payload.runtime_state;
        if (awaiting) {
          if (JSON.stringify(bucket) !== awaiting.text) return void (awaiting.latest = bucket);
          awaiting = null;
        }
        state = bucket;
        scheduleStorage();
      }
    },
  });
})(globalThis);
