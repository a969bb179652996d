/**
 * A strict XML 1.0 reader for the junit report tests: saxes refuses what CI report parsers
 * (GitLab, Jenkins, test-reporter actions) refuse — characters XML 1.0 cannot carry, raw or as
 * `&#N;`, `]]>` in text, `<` in attributes, bad nesting — where a hand-written checker missed some.
 * saxes is a test-only dependency (deno.json maps it; nothing under lib/ imports it).
 */
import { SaxesParser } from "saxes";

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Parses a well-formed XML document into a tree, or throws saxes's line:column message. */
export function parseXml(src: string): XmlNode {
  const parser = new SaxesParser();
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  let error: Error | undefined;
  parser.on("error", (e) => {
    error ??= e;
  });
  parser.on("opentag", (tag) => {
    const node: XmlNode = { name: tag.name, attrs: {}, children: [], text: "" };
    for (const [k, v] of Object.entries(tag.attributes)) node.attrs[k] = String(v);
    if (stack.length) stack[stack.length - 1].children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.on("text", (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on("cdata", (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.write(src).close();
  if (error) throw new Error(`XML not well-formed: ${error.message}`);
  if (!root) throw new Error("XML not well-formed: no root element");
  return root;
}

/** The child elements of `n` named `name`. */
export const kids = (n: XmlNode, name: string) => n.children.filter((c) => c.name === name);
