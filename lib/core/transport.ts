/** Names of the transports that drive the core (they label log entries and recordings). */
export type Transport = "stdio" | "http" | "ws" | "api" | "app" | "smoke" | "internal";
