/** Generated identifiers (CONTRACT §1.3); all randomness from crypto.getRandomValues. */

export function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export const newSessionId = () => "ses_" + randomHex(16);
export const newMessageId = () => "msg_" + randomHex(16);
export const newArtifactId = () => "art_" + randomHex(16);
export const newInvokeId = () => "inv_" + randomHex(16);
export const newJobId = () => "tjob_" + randomHex(16);
/** Lowercase UUID v4. */
export const newUuid = (): string => crypto.randomUUID().toLowerCase();

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
