// Todos — an example Anna App using the classic SDK global. Its Node executa keeps the list in
// the host's executa storage (reverse `storage/*`), so the app only calls tools.invoke.
(function () {
  const $ = (id) => document.getElementById(id);
  let rt = null;

  function render(todos) {
    $("todos").replaceChildren(
      ...todos.map((t) => {
        const li = document.createElement("li");
        li.textContent = t.text;
        return li;
      }),
    );
  }

  function tool(method, args) {
    return rt.tools.invoke({ tool_id: "bundled:todo-store", method, args: args || {} });
  }

  async function refresh() {
    const r = await tool("list");
    render(r.todos || []);
    $("output").textContent = `${(r.todos || []).length} todo(s)`;
  }

  window.AnnaAppRuntime.connect().then(async (runtime) => {
    rt = runtime;
    $("status").textContent = `connected (${rt.appSlug})`;
    $("add").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = $("text").value.trim();
      if (!text) return;
      $("text").value = "";
      try {
        await tool("add", { text });
        await refresh();
      } catch (e) {
        $("output").textContent = `add failed: ${e.code} ${e.message}`;
      }
    });
    $("clear").addEventListener("click", async () => {
      await tool("clear");
      await refresh();
    });
    await refresh();
  }).catch((e) => {
    $("status").textContent = e.code === "no_host"
      ? "standalone preview (no host)"
      : `error: ${e.message}`;
  });
})();
