import { XMLParser } from 'fast-xml-parser';

/**
 * WeCom callbacks are small flat XML documents. Values stay strings (MsgId is a 64-bit number
 * that a JS number would round), CDATA is unwrapped, and entities are not expanded (no XXE).
 */
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: false,
  trimValues: true,
});

/** The children of the root <xml> element, or null when the text is not such a document. */
export function parseFlatXml(text: string): Record<string, string> | null {
  try {
    const doc = parser.parse(text, true) as { xml?: unknown };
    const root = doc.xml;
    if (typeof root !== 'object' || root === null || Array.isArray(root)) return null;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(root)) if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
    return out;
  } catch {
    return null;
  }
}
