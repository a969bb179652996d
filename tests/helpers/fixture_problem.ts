/** What a fixture text is refused with, for tests of the fixture parser's messages. */
import { FixtureError, parseFixtureText } from "../../lib/smoke/fixtures.ts";

/** The FixtureError message of `text` parsed as `f.jsonl`; throws when it parses. */
export function fixtureProblem(text: string): string {
  try {
    parseFixtureText(text, "/x/f.jsonl", "f.jsonl");
  } catch (e) {
    if (e instanceof FixtureError) return e.message;
    throw e;
  }
  throw new Error("no FixtureError");
}
