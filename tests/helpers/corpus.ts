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

/**
 * Expected `code@path` warnings per corpus manifest file (CONTRACT §3), read off the corpus by hand;
 * absent = no diagnostics. Used by the loader test and the `validate` CLI test.
 */
export const CORPUS_EXPECTED: Record<string, string[]> = {
  "adindamochamad__ledgerlens.json": ["unknown_key@version"],
  "dev-analyshd__cognitive-mirror.json": [
    "unknown_key@version",
    "unknown_key@changelog",
    // its template has no {user_message} placeholder
    "prefix_template_invalid@user_message_prefix_template",
  ],
  "ervhint__anna-form-memory-filler.json": ["host_api_unknown_method@ui.host_api.storage[0]"],
  "learnerabhinavdwivedi-droid__sanctum-keypulse.json": [
    "host_api_unknown_method@ui.host_api.storage[0]",
    "host_api_unknown_method@ui.host_api.storage[1]",
  ],
  "parth-bansal081__Mirror-AI.json": ["schema_unsupported@schema"],
  "whtcjdtc2007__anna-executa-examples__anna-app-visual-brand.json": [
    "permission_unknown@permissions[5]",
    "permission_unknown@permissions[6]",
    "permission_unknown@permissions[7]",
  ],
};
