import { keyOffset, type ParsedDocument } from '../load/parse-yaml.js';

/** A parsed document's value, every key and item offset, and its issues, as one comparable value. */
export function flattenDocument(doc: ParsedDocument): unknown {
  const out: Array<[string, unknown]> = [];
  const walk = (v: unknown, path: string): void => {
    if (v === null || typeof v !== 'object') return;
    const pos = doc.positions.get(v);
    out.push([`${path}#start`, pos?.start]);
    if (Array.isArray(v)) v.forEach((x, i) => { out.push([`${path}[${i}]`, pos?.items?.[i]]); walk(x, `${path}[${i}]`); });
    else for (const [k, x] of Object.entries(v)) { out.push([`${path}.${k}`, keyOffset(pos, k)]); walk(x, `${path}.${k}`); }
  };
  walk(doc.value, '');
  return { value: doc.value, rootOffset: doc.value === undefined || doc.value === null ? 0 : doc.rootOffset, positions: out, issues: doc.issues };
}
