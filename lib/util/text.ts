/** Text measures shared by every module. */

/** Length in Unicode code points: what the contract's "N chars" counts (an emoji is one). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
