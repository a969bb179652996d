/**
 * Host and origin arithmetic for the request guard and the CSP (CONTRACT §11.1, §11.2, §11.8).
 * Every parser here returns `null` on garbage instead of throwing: the guard must never throw on
 * a malformed header (webpack-dev-server crashed on one, research/anchors.md §6).
 */

/** What the guard and the CSP need to know about the listeners; ports are filled after binding. */
export interface ServerConfig {
  /** The address actually bound, e.g. `127.0.0.1`, `::1`, `0.0.0.0`. */
  bindHost: string;
  mainPort: number;
  appPort: number;
  /** Raw `--allowed-host` values: `host` (any port) or `host:port`. */
  allowedHosts: string[];
  allowRemote: boolean;
  /** Addresses of local interfaces (only consulted with `--allow-remote`). */
  localAddresses: string[];
  /** `null` = `--no-control-token`. */
  controlToken: string | null;
}

export interface HostPort {
  /** Lowercase; IPv6 literals keep their brackets (`[::1]`). */
  hostname: string;
  port: number | null;
}

const REG_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*$/;
const IPV6_BODY = /^[0-9a-f:.]+$/;

/** Parses `host[:port]` (Host header or `--allowed-host` value). Anything odd → null. */
export function parseHostPort(value: string | null | undefined): HostPort | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 300) return null;
  const v = value.toLowerCase();
  let hostname: string;
  let rest: string;
  if (v.startsWith("[")) {
    const end = v.indexOf("]");
    if (end < 0) return null;
    const body = v.slice(1, end);
    if (!IPV6_BODY.test(body) || !body.includes(":")) return null;
    hostname = `[${body}]`;
    rest = v.slice(end + 1);
  } else {
    const colon = v.indexOf(":");
    hostname = colon < 0 ? v : v.slice(0, colon);
    rest = colon < 0 ? "" : v.slice(colon);
    if (!REG_NAME.test(hostname)) return null;
  }
  if (rest === "") return { hostname, port: null };
  // exactly one ":" followed by 1..5 digits; "host:1:2" and "host:" are rejected
  const m = /^:(\d{1,5})$/.exec(rest);
  if (!m) return null;
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return null;
  return { hostname, port };
}

/** `::1` → `[::1]`; other addresses unchanged (lowercased). */
export function hostLiteral(address: string): string {
  const a = address.toLowerCase();
  return a.includes(":") && !a.startsWith("[") ? `[${a}]` : a;
}

export const LOOPBACK_HOSTNAMES = ["127.0.0.1", "localhost", "[::1]"];

/** Is the peer address loopback (`127.0.0.0/8`, `::1`, IPv4-mapped loopback)? */
export function isLoopbackPeer(address: string | undefined | null): boolean {
  if (typeof address !== "string") return false;
  const a = address.toLowerCase().replace(/^\[|\]$/g, "");
  if (a === "::1" || a === "0:0:0:0:0:0:0:1") return true;
  const v4 = a.startsWith("::ffff:") ? a.slice(7) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Hostnames (any port) that extra `--allowed-host`/remote rules add, for a listener port. */
function extraHosts(cfg: ServerConfig): { hostname: string; port: number | null }[] {
  const out: { hostname: string; port: number | null }[] = [];
  for (const raw of cfg.allowedHosts) {
    const hp = parseHostPort(raw);
    if (hp) out.push(hp);
  }
  if (cfg.allowRemote) {
    for (const a of [cfg.bindHost, ...cfg.localAddresses]) {
      if (a === "0.0.0.0" || a === "::" || a === "") continue;
      out.push({ hostname: hostLiteral(a), port: -1 }); // -1 = the listener's own port
    }
  }
  return out;
}

/** Host check (§11.2 step 1) for a listener on `port`. */
export function hostAllowed(
  cfg: ServerConfig,
  hostHeader: string | null | undefined,
  port: number,
): boolean {
  const hp = parseHostPort(hostHeader);
  if (!hp) return false;
  const effectivePort = hp.port ?? 80;
  if (LOOPBACK_HOSTNAMES.includes(hp.hostname) && effectivePort === port) return true;
  for (const x of extraHosts(cfg)) {
    if (x.hostname !== hp.hostname) continue;
    if (x.port === null) return true; // `--allowed-host name`: any port
    if (x.port === -1 ? effectivePort === port : effectivePort === x.port) return true;
  }
  return false;
}

function origin(hostname: string, port: number): string {
  return port === 80 ? `http://${hostname}` : `http://${hostname}:${port}`;
}

/**
 * `http://<allowed hostname>:<port>` forms of one listener, loopback forms first. An
 * `--allowed-host name:port` entry naming the other listener's port is left out, so the app
 * origin is never mistaken for the main origin.
 */
export function originForms(cfg: ServerConfig, role: "main" | "app"): string[] {
  const port = role === "main" ? cfg.mainPort : cfg.appPort;
  const other = role === "main" ? cfg.appPort : cfg.mainPort;
  const out = new Set<string>(LOOPBACK_HOSTNAMES.map((h) => origin(h, port)));
  for (const x of extraHosts(cfg)) {
    if (x.port === null || x.port === -1) out.add(origin(x.hostname, port));
    else if (x.port !== other) out.add(origin(x.hostname, x.port));
  }
  return [...out];
}

/** `http://host[:port]` → host and port (80 when absent); anything else → null. */
function parseHttpOrigin(origin: string): { hostname: string; port: number } | null {
  if (!origin.startsWith("http://")) return null;
  const hp = parseHostPort(origin.slice(7));
  return hp ? { hostname: hp.hostname, port: hp.port ?? 80 } : null;
}

/**
 * Origin check (§11.2 step 3) for one listener: the fixed forms of `originForms`, and for a bare
 * `--allowed-host name` — which step 1 takes on any port, as a forwarded port keeps its own number
 * (`ssh -L 9000:127.0.0.1:5180` → `localhost:9000`) — `http://name:<any port>` but the other
 * listener's, so the app origin still never counts as the main origin. `origin` is normalized.
 */
export function originAllowed(cfg: ServerConfig, role: "main" | "app", origin: string): boolean {
  if (originForms(cfg, role).includes(origin)) return true;
  const o = parseHttpOrigin(origin);
  if (!o) return false;
  const other = role === "main" ? cfg.appPort : cfg.mainPort;
  return o.port !== other &&
    extraHosts(cfg).some((x) => x.port === null && x.hostname === o.hostname);
}

/**
 * Who may frame a bundle (frame-ancestors of §11.8): the main-origin forms, and `http://name:*`
 * for a bare `--allowed-host name` (see `originAllowed`; a CSP source cannot leave one port out).
 */
export function frameAncestorForms(cfg: ServerConfig): string[] {
  const out = originForms(cfg, "main");
  for (const x of extraHosts(cfg)) {
    if (x.port === null) out.push(`http://${x.hostname}:*`);
  }
  return out;
}

/** Lowercased, trimmed Origin value, or null for garbage. Never throws. */
export function normalizeOrigin(value: string | null | undefined): string | null {
  if (typeof value !== "string" || value.length > 300) return null;
  return value.trim().toLowerCase();
}
