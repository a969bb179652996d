// Reading list — an example of one bundle serving two views (CONTRACT §3.9, §6.4, §12.5).
// The main view lists articles and opens each in the `detail` view with window.open_view; the
// detail view is single_instance, so opening another article reuses its window and the app hears
// the new payload as an `entry_payload` event. One bundle tells its views apart by the hash route.
const $ = (id) => document.getElementById(id);
const isDetail = location.hash.startsWith("#/detail");

async function connect() {
  try {
    const { AnnaAppRuntime } = await import("/static/anna-apps/_sdk/latest/index.js");
    return await AnnaAppRuntime.connect();
  } catch (e) {
    $("status").textContent = `standalone preview (${e.code ?? e.message})`;
    return null;
  }
}

async function mainView(rt) {
  const articles = (await rt.storage.get({ key: "articles" })).value ?? [];
  const list = $("list");
  list.hidden = false;
  list.replaceChildren(
    ...articles.map((a) => {
      const li = document.createElement("li");
      li.textContent = a.title;
      const open = document.createElement("button");
      open.textContent = "open";
      open.dataset.testid = `open-${a.id}`;
      open.addEventListener("click", async () => {
        const { window_uuid } = await rt.window.open_view({ view: "detail", payload: { article: a } });
        $("status").textContent = `opened ${a.id} in ${window_uuid}`;
      });
      li.append(open);
      return li;
    }),
  );
  await rt.window.set_title({ title: `Reading list (${articles.length})` });
  $("status").textContent = `main ${rt.windowUuid}`;
}

function showArticle(rt, payload) {
  const a = payload.article;
  $("detail-title").textContent = a ? a.title : "(no article)";
  $("detail-meta").textContent = a ? `${a.words} words` : "";
  if (a) rt.window.set_title({ title: a.title }).catch(() => {});
}

function detailView(rt) {
  $("detail").hidden = false;
  showArticle(rt, rt.entryPayload);
  // the window is reused for the next article: its payload arrives as an event
  rt.on("entry_payload", (payload) => showArticle(rt, payload));
  rt.on("geometry_changed", ({ geometry }) => {
    $("status").textContent = `detail ${geometry.w}×${geometry.h}`;
  });
  $("wider").addEventListener("click", () => {
    const g = rt.geometry;
    // the host clamps to the view's max_size (800 wide) and answers the size it applied
    rt.window.resize({ w: g.w + 400, h: g.h });
  });
  $("done").addEventListener("click", () => rt.window.close({ reason: "done" }));
  $("status").textContent = `detail ${rt.geometry.w}×${rt.geometry.h}`;
}

const rt = await connect();
if (rt) await (isDetail ? detailView(rt) : mainView(rt));
