import type { FieldPath, Locator, Position } from '../model/types.js';
import { keyOffset, type ParsedDocument } from './parse-yaml.js';

/** The text of one input and a lazily built line index for offset → line/column. */
export class SourceFile {
  private lineStarts: number[] | undefined;

  constructor(readonly file: string, readonly text: string) {}

  position(offset: number): Position {
    const starts = (this.lineStarts ??= computeLineStarts(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** A locator for the object at `basePath` inside a parsed document. */
export function documentLocator(src: SourceFile, doc: ParsedDocument, basePath: FieldPath): Locator {
  const walk = (path: FieldPath): { offset: number; complete: boolean } => {
    let node: unknown = doc.value;
    let offset = doc.rootOffset;
    const full = basePath.length === 0 ? path : [...basePath, ...path];
    const rootPos = node !== null && typeof node === 'object' ? doc.positions.get(node) : undefined;
    if (rootPos) offset = rootPos.start;
    for (let i = 0; i < full.length; i++) {
      if (node === null || typeof node !== 'object') return { offset, complete: false };
      const pos = doc.positions.get(node);
      const seg = full[i]!;
      let at: number | undefined;
      let next: unknown;
      if (Array.isArray(node)) {
        if (typeof seg !== 'number') return { offset, complete: false };
        at = pos?.items?.[seg];
        next = node[seg];
      } else {
        const key = String(seg);
        at = keyOffset(pos, key);
        next = Object.prototype.hasOwnProperty.call(node, key) ? (node as Record<string, unknown>)[key] : undefined;
      }
      if (next === undefined) return { offset, complete: false };
      if (at !== undefined && at >= 0) offset = at;
      node = next;
    }
    return { offset, complete: true };
  };
  return {
    locate: (path) => src.position(doc.base + walk(path).offset),
    has: (path) => walk(path).complete,
  };
}
