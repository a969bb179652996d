/** Path helpers for scripts (node:path + node:url behind one module). */
export { dirname, join } from "node:path";
export { fileURLToPath as fromFileUrl } from "node:url";
