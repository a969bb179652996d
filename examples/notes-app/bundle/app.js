// Notes — an example Anna App. It keeps notes in host storage, asks its Python executa to
// summarise them (the executa samples the host LLM), posts to chat and shows a denied call.
import { connect } from "/static/anna-apps/_sdk/latest/index.js";

const KEY = "notes:v1";
const $ = (id) => document.getElementById(id);
let rt = null;
let notes = [];

function show(text) {
  $("output").textContent = text;
}

function render() {
  const list = $("notes");
  list.replaceChildren(
    ...notes.map((n) => {
      const li = document.createElement("li");
      li.textContent = n.content;
      const del = document.createElement("button");
      del.textContent = "remove";
      del.addEventListener("click", () => save(notes.filter((x) => x.id !== n.id)));
      li.append(del);
      return li;
    }),
  );
}

async function save(next) {
  notes = next;
  render();
  await rt.storage.set({ key: KEY, value: notes });
  await rt.window.set_title({ title: `Notes (${notes.length})` });
}

async function main() {
  try {
    rt = await connect();
  } catch (e) {
    $("status").textContent = e.code === "no_host"
      ? "standalone preview (no host)"
      : `error: ${e.message}`;
    return;
  }
  rt.on("runtime_state_synced", (p) => {
    notes = p.runtime_state?.[KEY] ?? [];
    render();
  });

  $("add").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const content = $("text").value.trim();
    if (!content) return;
    $("text").value = "";
    await save([...notes, { id: crypto.randomUUID(), order: notes.length + 1, content }]);
    show(`saved ${notes.length} note(s)`);
  });

  $("summarize").addEventListener("click", async () => {
    show("summarizing…");
    try {
      const r = await rt.tools.invoke({
        tool_id: "bundled:notes-summary",
        method: "summarize_notes",
        args: { notes: notes.map(({ id, order, content }) => ({ id, order, content })) },
      });
      show(`summary: ${r.summary}`);
    } catch (e) {
      show(`summary failed: ${e.code} ${e.message}`);
    }
  });

  $("share").addEventListener("click", async () => {
    const text = notes.map((n) => `• ${n.content}`).join("\n") || "(no notes)";
    const r = await rt.chat.write_message({ role: "assistant", content: text });
    show(`posted ${r.message_id}`);
  });

  $("forbidden").addEventListener("click", async () => {
    try {
      await rt.fs.read({ path: "secrets.txt" });
      show("unexpected: fs.read was allowed");
    } catch (e) {
      show(`denied: ${e.code}`);
    }
  });
  // Says "connected" only once the notes are loaded and every handler is in place: a note added
  // before that would have submitted the form natively (reloading the page) or been overwritten.
  notes = (await rt.storage.get({ key: KEY })).value ?? [];
  render();
  $("status").textContent = `connected as user ${rt.userId} (${rt.appSlug})`;
}

main();
