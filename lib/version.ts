/** The version, from one place: deno.json. */
import meta from "../deno.json" with { type: "json" };

export const VERSION: string = meta.version;
export const DISPATCHER_VERSION = "0.6.0";
export const RUNTIME_COMPAT = "0.2.0a6";
export const SDK_VERSION: string = meta.version;
