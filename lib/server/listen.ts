/**
 * Binding the two listeners (CONTRACT §11.1): loopback only unless `--allow-remote`, `localhost`
 * means 127.0.0.1, a busy *default* port falls back to port 0 with a warning, a busy *explicit*
 * port is a runtime fault (exit 3).
 */
import type { Logger } from "../util/log.ts";
import { isLoopbackPeer, parseHostPort } from "./hosts.ts";

export const DEFAULT_PORT = 5180;

/** A configuration (exit 2) or runtime (exit 3) failure while binding. */
export class ListenError extends Error {
  constructor(readonly exitCode: 2 | 3, message: string) {
    super(message);
  }
}

const LOOPBACK = new Set(["127.0.0.1", "::1"]);

/** Normalises `--host` and enforces the remote-bind rules; returns the address to bind. */
export function resolveBindHost(
  host: string,
  allowRemote: boolean,
  noControlToken: boolean,
): string {
  const problem = hostProblem(host);
  if (problem) throw new ListenError(2, `--host '${host}' ${problem}`);
  let h = host.trim().toLowerCase();
  if (h === "localhost") h = "127.0.0.1";
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (allowRemote && noControlToken) {
    throw new ListenError(2, "--allow-remote cannot be combined with --no-control-token");
  }
  if (!LOOPBACK.has(h) && !allowRemote) {
    throw new ListenError(2, `refusing to bind ${host} without --allow-remote`);
  }
  if (h === "") throw new ListenError(2, "--host must not be empty");
  return h;
}

const BARE_IPV6 = /^[0-9a-f:.]+(%[\w.-]+)?$/;

/**
 * Why `--host` is not an address at all (a URL, a port glued on, a typo), or null. Told before
 * the loopback rule, whose fix (--allow-remote) would only move the failure to the bind.
 */
function hostProblem(host: string): string | null {
  const h = host.trim().toLowerCase();
  // a bare IPv6 address (`::1`, `fe80::1%eth0`) has two colons or more and no port
  if (h === "" || (BARE_IPV6.test(h) && h.split(":").length > 2)) return null;
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/.exec(h);
  const hp = parseHostPort(url ? url[1] : h);
  if (url) {
    return `is a URL; give only its host${
      hp ? `: --host ${hp.hostname}${hp.port === null ? "" : ` --port ${hp.port}`}` : ""
    }`;
  }
  if (hp?.port != null) {
    return `includes a port; give it apart: --host ${hp.hostname} --port ${hp.port}`;
  }
  return hp ? null : "is not an address or host name (e.g. 127.0.0.1, ::1 or localhost)";
}

export type Handler = (
  req: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

export interface BindOptions {
  hostname: string;
  port: number;
  /** true when the port came from a default (then a busy port falls back to 0). */
  fromDefault: boolean;
  handler: Handler;
  logger: Logger;
  /** Flag named in the exit-3 hint, `--port` or `--app-port`. */
  flag?: string;
}

export interface Bound {
  server: Deno.HttpServer<Deno.NetAddr>;
  port: number;
  /** Set when a busy default port was replaced: the requested port. */
  busyPort?: number;
}

function serve(hostname: string, port: number, handler: Handler): Deno.HttpServer<Deno.NetAddr> {
  // onListen given so Deno prints nothing: stdout carries only the startup output (§2.13)
  return Deno.serve({ hostname, port, onListen() {} }, handler);
}

export function bindListener(opts: BindOptions): Bound {
  try {
    const server = serve(opts.hostname, opts.port, opts.handler);
    return { server, port: server.addr.port };
  } catch (e) {
    if (!(e instanceof Deno.errors.AddrInUse)) {
      throw new ListenError(
        3,
        `cannot bind ${opts.hostname}:${opts.port}: ${(e as Error).message}`,
      );
    }
    if (!opts.fromDefault || opts.port === 0) {
      throw new ListenError(3, `port ${opts.port} is in use (try ${opts.flag ?? "--port"} 0)`);
    }
  }
  const server = serve(opts.hostname, 0, opts.handler);
  const port = server.addr.port;
  opts.logger.warn(`port ${opts.port} busy, using ${port}`);
  return { server, port, busyPort: opts.port };
}

/** Addresses of local interfaces (for the `--allow-remote` Host check); empty when not permitted. */
export function localAddresses(): string[] {
  try {
    return Deno.networkInterfaces().map((i) => i.address);
  } catch {
    return [];
  }
}

/**
 * The non-loopback addresses a wildcard bind is reachable at, IPv4 first (the startup output lists
 * them, §2.13; the Host check accepts the same list, §11.2). `0.0.0.0` listens on IPv4 only, `::`
 * on both. IPv6 link-local addresses (fe80::/10) are left out: a URL to one needs a zone id
 * (`%eth0`), which browsers do not take and the Host check does not parse.
 */
export function wildcardAddresses(bindHost: string, addresses: string[]): string[] {
  if (bindHost !== "0.0.0.0" && bindHost !== "::") return [];
  const usable = [...new Set(addresses.map((a) => a.toLowerCase()))]
    .filter((a) => a !== "" && !isLoopbackPeer(a) && !/^fe[89ab][0-9a-f]:/.test(a));
  const v4 = usable.filter((a) => !a.includes(":"));
  return bindHost === "::" ? [...v4, ...usable.filter((a) => a.includes(":"))] : v4;
}
