/**
 * Bare baseline for the bridge benchmark: reads NDJSON from stdin and answers each line with a
 * JSON-RPC result echoing its id — parse, stringify, write, nothing else.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();
const out = Deno.stdout.writable.getWriter();
let buf = "";
for await (const chunk of Deno.stdin.readable) {
  buf += dec.decode(chunk, { stream: true });
  let nl;
  const replies: string[] = [];
  while ((nl = buf.indexOf("\n")) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    if (!line) continue;
    const msg = JSON.parse(line);
    replies.push(
      JSON.stringify({
        jsonrpc: "2.0",
        id: msg.id,
        result: { ok: true, result: msg.params ?? null },
      }),
    );
  }
  if (replies.length) await out.write(enc.encode(replies.join("\n") + "\n"));
}
