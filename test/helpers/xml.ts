/**
 * A minimal XML well-formedness check for the XML kvm4nfv writes (libvirt domain, JUnit) (xmllint is not installed): every tag
 * closes in order, attributes are quoted, entities are the five predefined ones or numeric, one root element.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "").replace(/<!--[\s\S]*?-->/g, "");
  const token =
    /<\/?([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:'[^'<]*'|"[^"<]*"))*)\s*(\/?)>|<|&[^;\s]*;?/g;
  let last = 0;
  for (let m = token.exec(body); m !== null; m = token.exec(body)) {
    const text = body.slice(last, m.index);
    if (stack.length === 0 && text.trim() !== "") problems.push(`text outside the root: ${text.trim()}`);
    last = token.lastIndex;
    const t = m[0];
    if (t.startsWith("&")) {
      if (!/^&(amp|lt|gt|apos|quot|#\d+|#x[0-9a-fA-F]+);$/.test(t)) problems.push(`bad entity ${t}`);
      continue;
    }
    if (t === "<") {
      problems.push(`malformed tag at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
      continue;
    }
    const name = m[1]!;
    if (t.startsWith("</")) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? "nothing"}>`);
    } else if (m[3] === "/") {
      if (stack.length === 0) roots += 1;
    } else {
      if (stack.length === 0) roots += 1;
      stack.push(name);
    }
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(" > ")}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

/** Throw with every problem found, for tests that only need "well-formed or not". */
export function assertWellFormedXml(xml: string): void {
  const problems = xmlProblems(xml);
  if (problems.length > 0) throw new Error(`not well-formed XML: ${problems.join("; ")}`);
}
