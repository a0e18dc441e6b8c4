/**
 * A fast path for the YAML most manifests are: block mappings and sequences, single-line plain and
 * quoted scalars, single-line flow collections, literal block scalars, comments. It builds the same
 * values and the same position index as the event path (parse-yaml.ts), and gives up (returns
 * FALLBACK) on anything else — anchors, aliases, tags, merge keys, folded or multi-line scalars,
 * tabs, CRLF, any irregular indentation — so the event path decides and reports errors.
 * A differential test over the corpus holds the two paths equal.
 */
import { duplicateKeyMessage, keyOffset, setKey, type ContainerPos, type PositionIndex, type YamlIssue } from './parse-yaml.js';
import { resolvePlain } from './yaml11.js';

export const FALLBACK: unique symbol = Symbol('fallback');

export interface FastResult {
  readonly value: unknown;
  readonly rootOffset: number;
  readonly positions: PositionIndex;
  readonly issues: YamlIssue[];
}

class GiveUp extends Error {}
const giveUp = (): never => { throw new GiveUp(); };

const SPACE = 32, HASH = 35, COLON = 58, DASH = 45, NL = 10, QUOTE = 39, DQUOTE = 34;

export function fastParse(text: string, base: number): FastResult | typeof FALLBACK {
  if (text.includes('\r') || text.includes('\t')) return FALLBACK;
  try {
    return new FastParser(text, base).document();
  } catch (e) {
    if (e instanceof GiveUp) return FALLBACK;
    throw e;
  }
}

class FastParser {
  private pos = 0; // start of the current line
  readonly positions: PositionIndex = new WeakMap();
  readonly issues: YamlIssue[] = [];

  constructor(private readonly t: string, private readonly base: number) {}

  document(): FastResult {
    let explicit = false;
    if (this.t.startsWith('---')) {
      const eol = this.eol(0);
      const rest = this.t.slice(3, eol).trim();
      if (rest !== '' && !rest.startsWith('#')) giveUp();
      explicit = true;
      this.pos = eol + 1;
    }
    const ind = this.nextContent();
    if (ind < 0) return { value: explicit ? null : undefined, rootOffset: 0, positions: this.positions, issues: this.issues };
    if (this.t.charCodeAt(this.pos) === 37 /* % */) giveUp();
    if (ind !== 0) giveUp();
    const c = this.pos;
    const value = this.block(0);
    if (this.nextContent() >= 0) giveUp();
    return { value, rootOffset: c, positions: this.positions, issues: this.issues };
  }

  private eol(from: number): number {
    const i = this.t.indexOf('\n', from);
    return i === -1 ? this.t.length : i;
  }

  /** Skip blank and comment lines; leave pos at the start of the next content line; return its indent or -1. */
  private nextContent(): number {
    const t = this.t;
    while (this.pos < t.length) {
      let i = this.pos;
      while (t.charCodeAt(i) === SPACE) i++;
      const ch = t.charCodeAt(i);
      if (i >= t.length) { this.pos = t.length; return -1; }
      if (ch === NL) { this.pos = i + 1; continue; }
      if (ch === HASH) { this.pos = this.eol(i) + 1; continue; }
      return i - this.pos;
    }
    return -1;
  }

  /** A block node whose first line is the current content line, at indent `ind`. */
  private block(ind: number): unknown {
    const c = this.pos + ind;
    if (this.isSeqEntry(c)) return this.sequence(ind);
    const colon = this.keyEnd(c);
    if (colon >= 0) return this.mapping(ind, c, colon);
    return giveUp();
  }

  private isSeqEntry(c: number): boolean {
    if (this.t.charCodeAt(c) !== DASH) return false;
    const n = this.t.charCodeAt(c + 1);
    return n === SPACE || n === NL || c + 1 >= this.t.length;
  }

  /** If a mapping key starts at c, the offset of its ':'; else -1. Quoted keys supported on one line. */
  private keyEnd(c: number): number {
    const t = this.t;
    const ch = t.charCodeAt(c);
    let i = c;
    if (ch === DQUOTE || ch === QUOTE) {
      i = this.quotedEnd(c);
      if (i < 0) return -1;
      return t.charCodeAt(i) === COLON && this.sepAfter(i + 1) ? i : -1;
    }
    if (!this.plainStart(c)) return -1;
    const eol = this.eol(c);
    for (; i < eol; i++) {
      const x = t.charCodeAt(i);
      if (x === COLON && this.sepAfter(i + 1)) return i;
      if (x === HASH && t.charCodeAt(i - 1) === SPACE) return -1;
    }
    return -1;
  }

  private sepAfter(i: number): boolean {
    const x = this.t.charCodeAt(i);
    return x === SPACE || x === NL || i >= this.t.length;
  }

  private plainStart(c: number): boolean {
    const ch = this.t[c]!;
    if ('[]{},#&*!|>\'"%@`'.includes(ch)) return false;
    if ((ch === '-' || ch === '?' || ch === ':') && this.sepAfter(c + 1)) return false;
    return true;
  }

  /** Offset just after the closing quote of a one-line quoted scalar starting at c, or -1. */
  private quotedEnd(c: number): number {
    const t = this.t;
    const q = t.charCodeAt(c);
    const eol = this.eol(c);
    for (let i = c + 1; i < eol; i++) {
      const x = t.charCodeAt(i);
      if (q === DQUOTE && x === 92 /* \ */) { i++; continue; }
      if (x === q) {
        if (q === QUOTE && t.charCodeAt(i + 1) === QUOTE) { i++; continue; }
        return i + 1;
      }
    }
    return -1;
  }

  private quoted(c: number, end: number): string {
    const raw = this.t.slice(c, end);
    if (raw.charCodeAt(0) === QUOTE) return raw.slice(1, -1).replaceAll("''", "'");
    if (!raw.includes('\\')) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return giveUp();
    }
  }

  private mapping(ind: number, firstKey: number, firstColon: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    const pos: ContainerPos = { start: firstKey, names: [], keys: [] };
    this.positions.set(obj, pos);
    let k = firstKey;
    let colon = firstColon;
    for (;;) {
      if (colon < 0) giveUp();
      const ch = this.t.charCodeAt(k);
      const key = ch === DQUOTE || ch === QUOTE ? this.quoted(k, colon) : this.plainKey(k, colon);
      if (key === '<<') giveUp();
      const value = this.valueAfter(colon + 1, ind, true);
      this.addPair(obj, pos, key, k, value);
      const next = this.nextContent();
      if (next < ind) return obj;
      if (next > ind) giveUp();
      k = this.pos + ind;
      if (this.isSeqEntry(k)) return obj; // an indentless sequence ends here; the caller decides
      colon = this.keyEnd(k);
      if (colon < 0) giveUp();
    }
  }

  private addPair(obj: Record<string, unknown>, pos: ContainerPos, key: string, at: number, value: unknown): void {
    if (Object.prototype.hasOwnProperty.call(obj, key)) {
      this.issues.push({ id: 'duplicate-key', message: duplicateKeyMessage(key), offset: this.base + at, firstOffset: this.base + keyOffset(pos, key)! });
    }
    pos.names!.push(key);
    pos.keys!.push(at);
    setKey(obj, key, value);
  }

  private plainKey(k: number, colon: number): string {
    const raw = this.t.slice(k, colon).trimEnd();
    const v = resolvePlain(raw);
    if (typeof v === 'symbol') giveUp();
    return v !== null && typeof v === 'object' ? giveUp() : String(v);
  }

  private sequence(ind: number): unknown[] {
    const arr: unknown[] = [];
    const items: number[] = [];
    const start = this.pos + ind;
    this.positions.set(arr, { start, items });
    for (;;) {
      const dash = this.pos + ind;
      let c = dash + 1;
      while (this.t.charCodeAt(c) === SPACE) c++;
      const ch = this.t.charCodeAt(c);
      if (c >= this.t.length || ch === NL || ch === HASH) {
        this.pos = this.eol(c) + 1;
        const next = this.nextContent();
        if (next > ind) {
          const nodeStart = this.pos + next;
          const v = this.block(next);
          arr.push(v);
          items.push(this.startOf(v, nodeStart));
        } else {
          arr.push(null);
          items.push(-1);
        }
      } else if (this.isSeqEntry(c)) {
        giveUp();
      } else if (this.keyEnd(c) >= 0) {
        const v = this.mapping(c - this.pos, c, this.keyEnd(c));
        arr.push(v);
        items.push(c);
        // mapping() left pos at the next content line (or the end)
        const next = this.nextContent();
        if (next === ind && this.isSeqEntry(this.pos + ind)) continue;
        if (next > ind) giveUp();
        return arr;
      } else {
        const { value, offset } = this.inlineValue(c, ind);
        arr.push(value);
        items.push(offset);
      }
      const next = this.nextContent();
      if (next < ind) return arr;
      if (next > ind || !this.isSeqEntry(this.pos + ind)) {
        if (next === ind) return arr; // a key of the parent mapping follows an indentless sequence
        giveUp();
      }
    }
  }

  private startOf(v: unknown, fallback: number): number {
    if (v !== null && typeof v === 'object') return this.positions.get(v)?.start ?? fallback;
    return fallback;
  }

  /**
   * The value after a key's ':' at offset i (same line), for a mapping at indent ind. Leaves pos at
   * the start of the line after the value.
   */
  private valueAfter(i: number, ind: number, inMapping: boolean): unknown {
    const t = this.t;
    while (t.charCodeAt(i) === SPACE) i++;
    const ch = t.charCodeAt(i);
    if (i >= t.length || ch === NL || ch === HASH) {
      this.pos = this.eol(i) + 1;
      const save = this.pos;
      const next = this.nextContent();
      if (next > ind) return this.block(next);
      if (inMapping && next === ind && this.isSeqEntry(this.pos + ind)) return this.sequence(ind);
      this.pos = save;
      return null;
    }
    return this.inlineValue(i, ind).value;
  }

  /** A scalar, flow collection or literal block scalar starting at c on this line. */
  private inlineValue(c: number, ind: number): { value: unknown; offset: number } {
    const t = this.t;
    const ch = t[c]!;
    let eol = this.eol(c);
    let value: unknown;
    let end: number;
    if (ch === '"' || ch === "'") {
      end = this.quotedEnd(c);
      if (end < 0) giveUp();
      value = this.quoted(c, end);
    } else if (ch === '[' || ch === '{') {
      const r = this.flow(c);
      value = r.value;
      end = r.end;
      eol = this.eol(end);
    } else if (ch === '|') {
      return this.literal(c, eol, ind);
    } else if (!this.plainStart(c)) {
      return giveUp();
    } else {
      end = eol;
      for (let i = c; i < eol; i++) {
        const x = t.charCodeAt(i);
        if (x === HASH && t.charCodeAt(i - 1) === SPACE) { end = i; break; }
        if (x === COLON && this.sepAfter(i + 1)) giveUp();
      }
      value = resolvePlain(t.slice(c, end).trimEnd());
      if (typeof value === 'symbol') giveUp();
    }
    this.restOfLine(end, eol);
    this.pos = eol + 1;
    // A more indented line after a one-line value would continue a plain scalar or be an error.
    const save = this.pos;
    if (this.nextContent() > ind) giveUp();
    this.pos = save;
    return { value, offset: c };
  }

  private restOfLine(i: number, eol: number): void {
    while (i < eol && this.t.charCodeAt(i) === SPACE) i++;
    if (i < eol && this.t.charCodeAt(i) !== HASH) giveUp();
  }

  /** `|`, `|-`, `|+` with the content indented more than the parent. */
  private literal(c: number, eol: number, ind: number): { value: unknown; offset: number } {
    const t = this.t;
    let h = c + 1;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    if (t[h] === '-') { chomp = 'strip'; h++; } else if (t[h] === '+') { chomp = 'keep'; h++; }
    this.restOfLine(h, eol);
    const offset = eol + 1;
    let p = eol + 1;
    const lines: string[] = [];
    let contentIndent = -1;
    let pendingEmpty: string[] = [];
    while (p < t.length) {
      const le = this.eol(p);
      let i = p;
      while (t.charCodeAt(i) === SPACE) i++;
      const lineIndent = i - p;
      if (i >= le) {
        // Spaces on a blank line before the first content line decide the indentation in subtle
        // ways: leave those to the event path. After it, spaces beyond the indentation are content.
        if (contentIndent < 0 && lineIndent > 0) giveUp();
        pendingEmpty.push(contentIndent >= 0 && lineIndent > contentIndent ? t.slice(p + contentIndent, le) : '');
        p = le + 1;
        continue;
      }
      if (contentIndent < 0) {
        if (lineIndent <= ind) break;
        contentIndent = lineIndent;
      } else if (lineIndent < contentIndent) break;
      lines.push(...pendingEmpty);
      pendingEmpty = [];
      lines.push(t.slice(p + contentIndent, le));
      p = le + 1;
    }
    if (contentIndent < 0) giveUp();
    let value = lines.join('\n');
    if (chomp === 'clip') value += '\n';
    else if (chomp === 'keep') value += '\n' + pendingEmpty.map((l) => `${l}\n`).join('');
    // pos: the first line after the scalar (trailing empty lines are skipped by nextContent anyway)
    this.pos = p >= t.length ? t.length : p;
    if (chomp === 'keep' && pendingEmpty.length > 0) giveUp();
    return { value, offset };
  }

  /**
   * A flow collection. It may span lines: like go-yaml (and so kubectl), indentation inside flow
   * context is not checked, which js-yaml is stricter about (an istio sample closes `args: [` at the
   * key's own indentation). Quoted and plain scalars must each stay on one line.
   */
  private flow(c: number): { value: unknown; end: number } {
    const t = this.t;
    let i = c;
    const skip = (): void => {
      for (;;) {
        const x = t.charCodeAt(i);
        if (x === SPACE || x === NL) i++;
        else if (x === HASH && (i === 0 || t.charCodeAt(i - 1) === SPACE || t.charCodeAt(i - 1) === NL)) i = this.eol(i);
        else return;
      }
    };
    const scalar = (stops: string): { v: unknown; at: number } => {
      skip();
      const at = i;
      const ch = t[i];
      if (ch === '"' || ch === "'") {
        const e = this.quotedEnd(i);
        if (e < 0) giveUp();
        const v = this.quoted(i, e);
        i = e;
        return { v, at };
      }
      if (i >= t.length || !this.plainStart(i)) giveUp();
      while (i < t.length && !stops.includes(t[i]!)) {
        const x = t.charCodeAt(i);
        if (x === NL) break;
        if (x === COLON && (t[i + 1] === ' ' || t[i + 1] === '\n' || stops.includes(t[i + 1]!))) break;
        if (x === HASH && t.charCodeAt(i - 1) === SPACE) break;
        i++;
      }
      const v = resolvePlain(t.slice(at, i).trimEnd());
      if (typeof v === 'symbol') giveUp();
      // A plain scalar continued on the next line would be folded: leave that to the event path.
      if (t.charCodeAt(i) === NL || t.charCodeAt(i) === HASH) {
        const after = i;
        skip();
        const next = t[i];
        i = after;
        if (next === undefined || !(stops.includes(next) || next === ':')) giveUp();
      }
      return { v, at };
    };
    const node = (): { v: unknown; at: number } => {
      skip();
      if (t[i] === '[' || t[i] === '{') {
        const at = i;
        return { v: collection(), at };
      }
      return scalar(',]}');
    };
    const collection = (): unknown => {
      const open = t[i];
      const start = i;
      i++;
      if (open === '[') {
        const arr: unknown[] = [];
        const items: number[] = [];
        this.positions.set(arr, { start, items });
        skip();
        if (t[i] === ']') { i++; return arr; }
        for (;;) {
          const { v, at } = node();
          skip();
          if (t[i] === ':') giveUp();
          arr.push(v);
          items.push(at);
          if (t[i] === ',') { i++; skip(); if (t[i] === ']') { i++; return arr; } continue; }
          if (t[i] === ']') { i++; return arr; }
          return giveUp();
        }
      }
      const obj: Record<string, unknown> = {};
      const pos: ContainerPos = { start, names: [], keys: [] };
      this.positions.set(obj, pos);
      skip();
      if (t[i] === '}') { i++; return obj; }
      for (;;) {
        skip();
        if (t[i] === '[' || t[i] === '{') giveUp();
        const { v: k, at } = scalar(',]}:');
        if (t[i] !== ':') giveUp();
        i++;
        if (k !== null && typeof k === 'object') giveUp();
        const key = String(k);
        if (key === '<<') giveUp();
        skip();
        const { v } = t[i] === ',' || t[i] === '}' ? { v: null } : node();
        this.addPair(obj, pos, key, at, v);
        skip();
        if (t[i] === ',') { i++; skip(); if (t[i] === '}') { i++; return obj; } continue; }
        if (t[i] === '}') { i++; return obj; }
        return giveUp();
      }
    };
    const value = collection();
    return { value, end: i };
  }
}
