/**
 * Structured logger writing to stderr only (CONTRACT §2.1): stdout is reserved for results and the
 * bridge protocol. Pretty: `HH:MM:SS.mmm LEVEL component: message key=value…`; json: one object/line.
 */
import { clockTime, escapeInvisible, escapeUnsafe, UNSAFE } from "./text.ts";
import { stderrLine } from "./stderr_queue.ts";
import { redactTokens } from "./redact.ts";

export type LogLevel = "error" | "warn" | "info" | "debug";
export type LogFormat = "pretty" | "json";
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
export const LOG_LEVELS: LogLevel[] = ["error", "warn", "info", "debug"];

export interface LogSink {
  (line: string): void;
}

const stderrSink: LogSink = stderrLine;

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  sink?: LogSink;
  color?: boolean;
}

export class Logger {
  level: LogLevel;
  format: LogFormat;
  sink: LogSink;
  color: boolean;
  /** Observers see every entry at or above the level (used by the dashboard log and tests). */
  constructor(opts: LoggerOptions = {}, readonly component = "runtime") {
    this.level = opts.level ?? "info";
    this.format = opts.format ?? "pretty";
    this.sink = opts.sink ?? stderrSink;
    this.color = opts.color ?? false;
  }

  /** Fields every json entry of this logger carries (pretty lines have them in the component). */
  bound?: Record<string, unknown>;

  child(component: string, bound?: Record<string, unknown>): Logger {
    const l = new Logger(
      { level: this.level, format: this.format, sink: this.sink, color: this.color },
      component,
    );
    l.bound = bound;
    // children share the parent's settings by reference so later level changes propagate
    Object.defineProperty(l, "level", { get: () => this.level, set: (v) => (this.level = v) });
    return l;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  error(msg: string, fields?: Record<string, unknown>) {
    this.log("error", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>) {
    this.log("warn", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>) {
    this.log("info", msg, fields);
  }
  debug(msg: string, fields?: Record<string, unknown>) {
    this.log("debug", msg, fields);
  }

  log(level: LogLevel, msg: string, fields?: Record<string, unknown>) {
    if (!this.enabled(level)) return;
    const now = new Date();
    msg = capString(msg);
    if (fields) fields = capValue(fields, 0) as Record<string, unknown>;
    if (this.format === "json") {
      const entry = {
        ts: now.getTime(),
        level,
        component: this.component,
        msg,
        ...(this.bound && capValue(this.bound, 0) as Record<string, unknown>),
        ...fields,
      };
      this.sink(redactTokens(escapeInvisible(JSON.stringify(entry))));
      return;
    }
    const t = clockTime(now);
    // exactly `HH:MM:SS.mmm LEVEL component: message key=value…` (§2.1): one space, no padding
    let lv = level.toUpperCase();
    if (this.color) {
      const c = { error: 31, warn: 33, info: 36, debug: 90 }[level];
      lv = `\x1b[${c}m${lv}\x1b[0m`;
    }
    // component (`executa:<tool_id>`) and msg may carry text from apps and plugins
    let line = `${t} ${lv} ${escapeUnsafe(capString(this.component))}: ${escapeUnsafe(msg)}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        const bare = typeof v === "string" && !/\s/.test(v) && !UNSAFE.test(v);
        line += ` ${k}=${bare ? v : escapeInvisible(JSON.stringify(v) ?? String(v))}`;
      }
    }
    // an app's error message or an executa's stderr may quote a frame URL, token and all
    this.sink(redactTokens(line));
  }
}

/**
 * Longest string a log entry carries (msg or any string field), in UTF-16 units: an executa
 * stderr line (cut at 8 KiB, §9.11) fits whole; a 16 MiB method name from a bad request does not
 * become a 16 MiB log line.
 */
export const MAX_LOG_STRING = 8192;

function capString(s: string): string {
  if (s.length <= MAX_LOG_STRING) return s;
  let end = MAX_LOG_STRING;
  // not between the halves of a surrogate pair
  if (/[\ud800-\udbff]/.test(s[end - 1])) end--;
  return `${s.slice(0, end)}… [${s.length - end} more chars]`;
}

/** Strings capped inside field values too (error details, id lists); other values as they are. */
function capValue(v: unknown, depth: number): unknown {
  if (typeof v === "string") return capString(v);
  if (depth > 8 || v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x) => capValue(x, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = capValue(x, depth + 1);
  return out;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger = () => new Logger({ level: "error", sink: () => {} });

export function parseLogLevel(v: string | undefined): LogLevel | undefined {
  return v && (LOG_LEVELS as string[]).includes(v) ? (v as LogLevel) : undefined;
}
