/** A small XML well-formedness check: balanced tags, quoted attributes, no raw markup in text. */
export function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    m = re.exec(body);
    if (!m) throw new Error(`not well-formed at ${pos}: ${body.slice(pos, pos + 40)}`);
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) throw new Error(`raw & in text: ${m[5]}`);
      continue;
    }
    const [, close, name, attrs, selfClose] = m;
    if (attrs && /&(?!(amp|lt|gt|quot|apos);)/.test(attrs)) throw new Error(`raw & in attribute of ${name}`);
    if (close) {
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
    } else if (!selfClose) stack.push(name!);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join("><")}>`);
}
