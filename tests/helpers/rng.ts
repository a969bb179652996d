/**
 * A seeded generator for fuzz tests: the same cases every run. It takes the high bits of a
 * 31-bit LCG, because the low bits repeat with short periods (bit k every 2^k draws) and would tie
 * consecutive draws together, leaving whole combinations of members untried.
 */
export function seededInt(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((s / 2 ** 31) * n);
  };
}
