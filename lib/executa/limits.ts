/** Executa limits and timings (CONTRACT §15); one place so the text and the code cannot drift. */

export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Bytes of an oversized line kept to find the reply id (§9.7). */
export const FRAME_HEAD_BYTES = 64 * 1024;
export const MAX_FILE_TRANSPORT_BYTES = 64 * 1024 * 1024;
export const MAX_RESULT_BYTES = 4 * 1024 * 1024;

export const INVOKE_DEFAULT_TIMEOUT_MS = 65_000;
export const INVOKE_MIN_TIMEOUT_MS = 1_000;
export const INVOKE_MAX_TIMEOUT_MS = 90_000;
export const INVOKE_GRACE_MS = 2_000;

export const INITIALIZE_TIMEOUT_MS = 5_000;
export const DESCRIBE_TIMEOUT_MS = 60_000;
export const HEALTH_TIMEOUT_MS = 3_000;

/** stdin close → wait → SIGTERM → wait → SIGKILL (§9.10). */
export const STOP_GRACE_MS = 2_000;

export const CRASH_WINDOW_MS = 30_000;
export const CRASH_LOOP_COUNT = 3;
export const backoffMs = (k: number) => Math.min(1000 * 2 ** (k - 1), 8000);

export const STDERR_LINE_BYTES = 8 * 1024;
export const STDERR_RING = 200;
export const STDERR_TAIL_ERROR = 20;
export const STDERR_TAIL_LIST = 50;
/** How much of an ignored stdout line is logged (§9.11). */
export const IGNORED_LINE_LOG_BYTES = 1024;

export const SAMPLING_MAX_CALLS = 8;
export const SAMPLING_MAX_TOKENS_PER_CALL = 8192;
export const SAMPLING_MAX_TOKENS_PER_INVOKE = 32_000;
export const SAMPLING_MAX_MESSAGES = 64;
export const SAMPLING_DEFAULT_MAX_TOKENS = 4096;

export const EMBED_MAX_INPUTS = 256;
export const EMBED_MAX_BYTES = 1024 * 1024;

export const REVERSE_STORAGE_MAX_VALUE_BYTES = 256 * 1024;
/**
 * The whole reverse store, all buckets together (the contract caps only single values): without a
 * ceiling an executa writing fresh keys, or a harness whose executa writes per user across
 * thousands of sessions, grew the runtime's memory until exit. Sized like the event ring (§6.5).
 */
export const REVERSE_STORAGE_MAX_TOTAL_BYTES = 64 * 1024 * 1024;
export const REVERSE_STORAGE_MAX_KEYS = 100_000;
export const STORAGE_LIST_DEFAULT = 100;
export const STORAGE_LIST_MAX = 1000;
