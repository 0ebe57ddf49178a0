// The one wrapper of fast-xml-parser. The XML is attacker-controlled: a DOCTYPE or ENTITY
// declaration is refused before parsing (no entity is ever expanded: "billion laughs"),
// size is bounded by readText, nesting by LIMITS.nesting, and the document is validated
// first so that malformed XML gives FORMAT_MALFORMED rather than a partial tree.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { formatError } from './errors.js';
import { LIMITS } from './limits.js';

/** An element: local name (namespace prefix removed), attributes, child elements, text. */
export interface XNode {
  name: string;
  attrs: Readonly<Record<string, string>>;
  kids: XNode[];
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: true,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: LIMITS.nesting,
});

type Ordered = Record<string, unknown>;

function convert(item: Ordered, depth: number): XNode | string | null {
  if (depth > LIMITS.nesting) throw formatError('FORMAT_TOO_LARGE', { detail: `nesting>${LIMITS.nesting}` });
  for (const key of Object.keys(item)) {
    if (key === ':@') continue;
    if (key === '#text') return String(item[key]);
    if (key.startsWith('?') || key.startsWith('!') || key === '#comment') return null;
    const kids: XNode[] = [];
    let text = '';
    for (const child of (item[key] as Ordered[]) ?? []) {
      const c = convert(child, depth + 1);
      if (typeof c === 'string') text += c;
      else if (c) kids.push(c);
    }
    const attrs = Object.assign(Object.create(null) as Record<string, string>, (item[':@'] as Record<string, string> | undefined) ?? {});
    return { name: key, attrs, kids, text };
  }
  return null;
}

/** Parses an XML document into its root element. */
export function parseXml(text: string): XNode {
  // DTDs are refused outright, wherever they appear (XML 1.0 §2.8, §4.2)
  if (/<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST/i.test(text)) throw formatError('FORMAT_UNSUPPORTED', { detail: 'DOCTYPE' });
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw formatError('FORMAT_MALFORMED', { detail: 'xml' });
  let doc: Ordered[];
  try {
    doc = parser.parse(text) as Ordered[];
  } catch (cause) {
    if (cause instanceof Error && /nested/i.test(cause.message)) throw formatError('FORMAT_TOO_LARGE', { cause, detail: `nesting>${LIMITS.nesting}` });
    throw formatError('FORMAT_MALFORMED', { cause, detail: 'xml' });
  }
  const roots = doc.map((d) => convert(d, 1)).filter((n): n is XNode => typeof n === 'object' && n !== null);
  if (roots.length !== 1) throw formatError('FORMAT_MALFORMED', { detail: 'xml root' });
  return roots[0] as XNode;
}
