import { makeRuntime, manifest, openSession } from "../tests/helpers/runtime.ts";
await using t = await makeRuntime({ mode: "serve" });
const s = await openSession(t, manifest({ storage: ["get"] }));
console.log(JSON.stringify(await s.call("storage", "get", "k")));
console.log(JSON.stringify(await s.call("storage", "get", undefined)));
