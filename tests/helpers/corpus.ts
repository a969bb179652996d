/**
 * Where the shared corpus (CONTRACT §17) lives: `ANNA_CORPUS_DIR`, else `../shared/corpus` beside
 * the checkout, else `/work/shared/corpus` (CI may clone the repo somewhere else on this machine).
 */
import { fileURLToPath } from "node:url";

function findCorpus(): string {
  const candidates = [
    Deno.env.get("ANNA_CORPUS_DIR"),
    fileURLToPath(new URL("../../../shared/corpus", import.meta.url)),
    "/work/shared/corpus",
  ].filter((x): x is string => !!x);
  for (const c of candidates) {
    try {
      if (Deno.statSync(c).isDirectory) return c;
    } catch { /* try the next */ }
  }
  throw new Error(`shared corpus not found (tried ${candidates.join(", ")}); set ANNA_CORPUS_DIR`);
}

export const CORPUS_DIR = findCorpus();
export const MANIFESTS_DIR = `${CORPUS_DIR}/manifests`;
export const RECORDINGS_DIR = `${CORPUS_DIR}/recordings`;
