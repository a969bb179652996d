/**
 * An `executa.json` command of the form `uv run [options] python X.py` (or `uv run X.py`,
 * `uv run -m mod`) as plain python, for machines without uv. Real apps ship such commands
 * (regexforge, AIReceiptParser); CONTRACT §9.3's uv-missing fallback covers the default command
 * only, and this extends the same rule, with the same one-time warning, to these spelled-out ones.
 * A form whose meaning without uv is unclear (`--directory`, an unknown option, a console-script
 * name) is left alone, and the spawn then fails naming uv.
 */

/** `uv run` switches that only steer uv's own environment handling: safe to drop. */
const SWITCHES = new Set([
  "--no-project",
  "--frozen",
  "--locked",
  "--no-sync",
  "--isolated",
  "--no-dev",
  "--offline",
  "--no-config",
  "--no-env-file",
  "--script",
  "--exact",
  "--all-extras",
  "--all-groups",
  "--no-progress",
  "--active",
  "--no-active",
  "--quiet",
  "-q",
  "--verbose",
  "-v",
]);

/** Options with a value (`--opt X` or `--opt=X`): dependency and interpreter choices, dropped. */
const WITH_VALUE = new Set([
  "--project",
  "--python",
  "-p",
  "--with",
  "--with-editable",
  "--with-requirements",
  "--extra",
  "--group",
  "--only-group",
  "--no-group",
  "--env-file",
  "--index",
  "--index-url",
  "--default-index",
  "--extra-index-url",
  "--cache-dir",
  "--config-file",
]);

const PYTHON_NAME = /^python(\d+(\.\d+)*)?(\.exe)?$/i;

/** Is this a `uv run …` command (uv named bare, to be found on PATH)? */
export function isUvRun(argv: readonly string[]): boolean {
  return argv.length >= 2 && /^uv(\.exe)?$/i.test(argv[0]) && argv[1] === "run";
}

/** The same command run by `python` directly, or null when it has no clear plain-python form. */
export function uvRunAsPython(argv: readonly string[], python: string): string[] | null {
  if (!isUvRun(argv)) return null;
  let i = 2;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-")) break;
    if (a === "-m" || a === "--module") {
      return i + 1 < argv.length ? [python, "-m", ...argv.slice(i + 1)] : null;
    }
    const eq = a.indexOf("=");
    if (SWITCHES.has(a)) continue;
    if (WITH_VALUE.has(eq > 0 ? a.slice(0, eq) : a)) {
      if (eq < 0) i++; // its value is the next word
      continue;
    }
    return null;
  }
  const [target, ...rest] = argv.slice(i);
  if (target === undefined) return null;
  if (PYTHON_NAME.test(target)) return [python, ...rest];
  if (/\.pyw?$/i.test(target)) return [python, target, ...rest];
  return null;
}
