/** `token mint|verify` (CONTRACT §2.11): mint or check dev tokens with the local dev key. */
import { type FlagSpec, int, parseFlags, str, UsageError } from "./flags.ts";
import { makeLogger, TOKEN_FLAGS } from "./common.ts";
import { logHelp, TOKEN_HELP } from "./flag_help.ts";
import { EXIT, fatalFormat, printFatal, writeStderr, writeStdout } from "./output.ts";
import { newUuid, UUID_RE } from "../util/ids.ts";
import { didYouMean } from "../util/text.ts";
import { normalizeSlug } from "../manifest/slug.ts";
import {
  defaultKeyPath,
  type DevKey,
  KeyFileError,
  loadOrCreateKey,
  mintToken,
  TOKEN_TTL_DEFAULT,
  TOKEN_TTL_MAX,
  TOKEN_TTL_MIN,
  verifyToken,
} from "../token/mod.ts";

export const help = `Usage:
  anna-app-runtime token mint [--wid UUID] [--uid N] [--app SLUG] [--view NAME] [--scopes a,b] [--ttl S]
  anna-app-runtime token verify TOKEN [--wid UUID]

Mints or verifies a dev token (HMAC-SHA256, "dev1." format) with the local dev key.

mint defaults: random wid, uid 1, app "dev", view "main", no scopes, ttl from --token-ttl;
--app is normalised like every app slug (lowercase, [a-z0-9-]).
verify checks format, signature, expiry and (with --wid) the window; exit 0 valid, 1 invalid.

Flags:
${TOKEN_HELP}
  --ttl SECONDS            lifetime of this token (mint; overrides --token-ttl)
  --format pretty|json     output format (default pretty)
${logHelp("info", "json")}`;

export const flags = {
  ...TOKEN_FLAGS,
  wid: { type: "string" },
  uid: { type: "string" },
  app: { type: "string" },
  view: { type: "string" },
  scopes: { type: "string" },
  ttl: { type: "string" },
} as const satisfies FlagSpec;
const MINT_ONLY = ["uid", "app", "view", "scopes", "ttl"];

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, flags, { positionals: 2 });
  const sub = positionals[0];
  if (sub !== "mint" && sub !== "verify") {
    throw new UsageError(
      sub
        ? `unknown token subcommand '${sub}'` + didYouMean(sub, ["mint", "verify"])
        : "missing subcommand: mint or verify",
    );
  }
  const format = str(values, "format") === "json" ? "json" : "pretty";
  const ttlRange: [number, number] = [TOKEN_TTL_MIN, TOKEN_TTL_MAX];
  const defaultTtl = int(values, "token-ttl", ttlRange) ?? TOKEN_TTL_DEFAULT;
  const wid = str(values, "wid");
  if (wid !== undefined && !UUID_RE.test(wid.toLowerCase())) {
    throw new UsageError(`--wid must be a UUID (got '${wid}')`);
  }
  if (sub === "mint" && positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}'`);
  }
  if (sub === "verify") {
    const extra = MINT_ONLY.find((k) => values[k] !== undefined);
    if (extra) throw new UsageError(`--${extra} is only accepted by 'token mint'`);
    if (positionals[1] === undefined) throw new UsageError("missing TOKEN argument");
  }

  const logger = makeLogger(values, { level: "info" }).child("token");
  let key: DevKey;
  try {
    key = await loadOrCreateKey(str(values, "key-file") ?? defaultKeyPath(), logger);
  } catch (e) {
    if (e instanceof KeyFileError) {
      printFatal(format, "bad_key_file", e.message, { path: e.path });
      return EXIT.USAGE;
    }
    throw e;
  }

  if (sub === "mint") {
    const uid = int(values, "uid", [0, Number.MAX_SAFE_INTEGER]) ?? 1;
    const given = str(values, "app") ?? "dev";
    // as session.create does (§3.11): a token for "My Notes" could never match a session's slug
    const app = normalizeSlug(given);
    if (app !== given) logger.warn(`app slug '${given}' was normalised to '${app}'`);
    const view = str(values, "view") ?? "main";
    const scopes = (str(values, "scopes") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const ttl = int(values, "ttl", ttlRange) ?? defaultTtl;
    const minted = await mintToken(key, {
      wid: wid?.toLowerCase() ?? newUuid(),
      uid,
      app,
      view,
      scopes,
      ttl,
    });
    writeStdout(format === "json" ? JSON.stringify(minted) : minted.token);
    return EXIT.OK;
  }

  const now = Date.now();
  const res = await verifyToken(key, positionals[1], { now, expectedWid: wid?.toLowerCase() });
  if (format === "json") {
    const out: Record<string, unknown> = { valid: res.ok };
    if (res.claims) out.claims = res.claims;
    if (!res.ok) out.reason = res.reason;
    writeStdout(JSON.stringify(out));
    return res.ok ? EXIT.OK : EXIT.FAILED;
  }
  if (!res.ok) {
    if (fatalFormat(format) === "json") {
      printFatal("json", res.reason, res.message, res.claims ? { claims: res.claims } : {});
    } else writeStderr(`invalid (${res.reason}): ${res.message}`);
    return EXIT.FAILED;
  }
  // §2.11 exactly; inside the 5 s leeway a token is still valid after its exp (N < 0)
  const left = Math.ceil((res.claims.exp * 1000 - now) / 1000);
  writeStdout(`valid (wid ${res.claims.wid}, expires in ${left}s)`);
  return EXIT.OK;
}
