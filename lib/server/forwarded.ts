/**
 * A host page reached through a forwarded port (`ssh -L 9000:127.0.0.1:5180`, an editor's port
 * forwarding) frames its apps at the page's hostname with the app port (CONTRACT §12.8). When the
 * browser reaches that port under another number, or not at all, the frame just fails to load and
 * the dashboard can only say the app never connected; the log says why, once per Host.
 */
import { parseHostPort, type ServerConfig } from "./hosts.ts";

const SEEN_MAX = 64;

/** The hint for a host page served with this Host header, or null when it is on the main port. */
export function forwardedPageHint(cfg: ServerConfig, host: string | undefined): string | null {
  const hp = parseHostPort(host);
  if (!hp || (hp.port ?? 80) === cfg.mainPort) return null;
  const app = cfg.appPort;
  return `host page opened as '${host}', not on the main port ${cfg.mainPort} (a forwarded port?): ` +
    `its app frames load from ${hp.hostname}:${app} (the page's hostname with the app port), so ` +
    `the browser must reach the app port under the same number (ssh -L ${app}:127.0.0.1:${app}), ` +
    `or start dev with --port/--app-port set to the numbers the browser uses`;
}

/** Logs `forwardedPageHint` at warn level once per distinct Host (a bounded set). */
export function forwardedPageNotifier(
  cfg: ServerConfig,
  warn: (msg: string) => void,
): (host: string | undefined) => void {
  const seen = new Set<string>();
  return (host) => {
    const hint = forwardedPageHint(cfg, host);
    if (hint === null || seen.has(host!) || seen.size >= SEEN_MAX) return;
    seen.add(host!);
    warn(hint);
  };
}
