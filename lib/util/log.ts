/**
 * Structured logger writing to stderr only (CONTRACT §2.1): stdout is reserved for results and the
 * bridge protocol. Pretty: `HH:MM:SS.mmm LEVEL component: message key=value…`; json: one object/line.
 */

export type LogLevel = "error" | "warn" | "info" | "debug";
export type LogFormat = "pretty" | "json";
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
export const LOG_LEVELS: LogLevel[] = ["error", "warn", "info", "debug"];

export interface LogSink {
  (line: string): void;
}

const enc = new TextEncoder();
const stderrSink: LogSink = (line) => {
  try {
    Deno.stderr.writeSync(enc.encode(line + "\n"));
  } catch {
    // stderr closed: logging must never take the runtime down
  }
};

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

  child(component: string): Logger {
    const l = new Logger(
      { level: this.level, format: this.format, sink: this.sink, color: this.color },
      component,
    );
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
    if (this.format === "json") {
      this.sink(
        JSON.stringify({ ts: now.getTime(), level, component: this.component, msg, ...fields }),
      );
      return;
    }
    const t = now.toTimeString().slice(0, 8) + "." + String(now.getMilliseconds()).padStart(3, "0");
    // exactly `HH:MM:SS.mmm LEVEL component: message key=value…` (§2.1): one space, no padding
    let lv = level.toUpperCase();
    if (this.color) {
      const c = { error: 31, warn: 33, info: 36, debug: 90 }[level];
      lv = `\x1b[${c}m${lv}\x1b[0m`;
    }
    let line = `${t} ${lv} ${this.component}: ${msg}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        line += ` ${k}=${
          typeof v === "string" ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)
        }`;
      }
    }
    this.sink(line);
  }
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger = () => new Logger({ level: "error", sink: () => {} });

export function parseLogLevel(v: string | undefined): LogLevel | undefined {
  return v && (LOG_LEVELS as string[]).includes(v) ? (v as LogLevel) : undefined;
}
