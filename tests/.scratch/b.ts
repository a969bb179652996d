import { z } from "zod";
const A = z.object({ key: z.unknown({ error: "key is required" }), v: z.unknown().refine((x) => x !== undefined, "v is required") });
console.log(JSON.stringify(A.safeParse({}).error?.issues));
const R = z.record(z.string(), z.unknown());
const o = JSON.parse('{"__proto__": 1, "a": 2}');
const r = R.parse(o);
console.log(Object.keys(r), Object.hasOwn(r, "__proto__"), JSON.stringify(r));
