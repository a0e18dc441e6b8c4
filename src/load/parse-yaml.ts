/**
 * YAML text → JavaScript values plus a position index, in one pass over js-yaml's event stream.
 *
 * Why events and not `loadAll`: we need the source offset of every mapping key and sequence item
 * (findings point at the exact field), and building values and positions from the same events
 * costs about what a bare parse costs (see bench/). Scalars resolve as Kubernetes reads them
 * (./yaml11.ts). Documents are split on `---` lines the way kubectl's YAML reader does, so one
 * broken document never hides the others.
 */
import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';
import { FALLBACK, fastParse } from './fast-yaml.js';
import { MERGE_KEY, resolvePlain, resolveTagged, type Scalar } from './yaml11.js';

/**
 * Where a mapping's keys or a sequence's items were written (offsets relative to the document).
 * Mappings keep parallel arrays (`names[i]` was written at `keys[i]`) rather than a Map: positions
 * are read only for findings, and one Map per mapping was a measurable share of load time.
 */
export interface ContainerPos {
  readonly start: number;
  readonly names?: string[];
  readonly keys?: number[];
  readonly items?: number[];
}

/** Where the key was last written in a mapping, or undefined. */
export function keyOffset(pos: ContainerPos | undefined, key: string): number | undefined {
  if (!pos?.names) return undefined;
  const i = pos.names.lastIndexOf(key);
  return i === -1 ? undefined : pos.keys![i];
}

export type PositionIndex = WeakMap<object, ContainerPos>;

export interface YamlIssue {
  readonly id: 'invalid-yaml' | 'duplicate-key';
  readonly message: string;
  /** Offset in the whole file. */
  readonly offset: number;
  /** For duplicate keys: where the key was first written (offset in the whole file). */
  readonly firstOffset?: number;
}

export interface ParsedDocument {
  /** 0-based index of the document in its file. */
  readonly index: number;
  /** Offset of the document's first character in the file; positions are relative to it. */
  readonly base: number;
  /** `undefined` for an empty document or one that could not be parsed. */
  readonly value: unknown;
  readonly positions: PositionIndex;
  /** Where the root value starts, relative to `base`. */
  readonly rootOffset: number;
  readonly issues: readonly YamlIssue[];
}

export interface ParseLimits {
  /** Deepest nesting of collections accepted. */
  readonly maxDepth: number;
  /** Nodes a document may expand to through aliases before it counts as an alias bomb. */
  readonly maxExpandedNodes: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxDepth: 200, maxExpandedNodes: 200_000 };

/** Start offsets of the documents in a stream, split at `---` (and after `...`) lines like kubectl. */
export function splitDocuments(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const sep = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
  let start = 0;
  for (let m = sep.exec(text); m !== null; m = sep.exec(text)) {
    if (m.index > start || (m.index === start && start !== 0)) out.push({ start, end: m.index });
    if (m[0] === '...') {
      const nl = text.indexOf('\n', m.index);
      start = nl === -1 ? text.length : nl + 1;
      sep.lastIndex = start;
    } else {
      start = m.index;
      sep.lastIndex = m.index + 3;
    }
  }
  if (start < text.length || out.length === 0) out.push({ start, end: text.length });
  return out;
}

interface Frame {
  readonly isMap: boolean;
  readonly value: Record<string, unknown> | unknown[];
  readonly pos: ContainerPos;
  readonly anchor: string | undefined;
  key: string | typeof MERGE_KEY | undefined;
  keyOffset: number;
  hasKey: boolean;
  size: number;
  merges: unknown[] | undefined;
}

class DocumentBuilder {
  readonly positions: PositionIndex = new WeakMap();
  readonly issues: YamlIssue[] = [];
  readonly anchors = new Map<string, { value: unknown; size: number }>();
  readonly stack: Frame[] = [];
  root: unknown = undefined;
  rootSize = 0;
  rootOffset = 0;

  constructor(private readonly text: string, private readonly base: number) {}

  issue(id: YamlIssue['id'], message: string, rel: number, firstRel?: number): void {
    this.issues.push({
      id,
      message,
      offset: this.base + Math.max(0, rel),
      ...(firstRel === undefined ? {} : { firstOffset: this.base + firstRel }),
    });
  }

  open(isMap: boolean, start: number, anchorStart: number, anchorEnd: number): void {
    const value: Record<string, unknown> | unknown[] = isMap ? {} : [];
    const pos: ContainerPos = isMap ? { start, names: [], keys: [] } : { start, items: [] };
    this.positions.set(value, pos);
    this.stack.push({
      isMap, value, pos, key: undefined, keyOffset: -1, hasKey: false, size: 1, merges: undefined,
      anchor: anchorStart >= 0 ? this.text.slice(anchorStart, anchorEnd) : undefined,
    });
  }

  close(): void {
    const f = this.stack.pop()!;
    if (f.merges) this.applyMerges(f);
    if (f.anchor !== undefined) this.anchors.set(f.anchor, { value: f.value, size: f.size });
    this.emit(f.value, f.pos.start, f.size, false);
  }

  /** YAML merge keys: explicit keys win, then earlier merge sources over later ones. */
  private applyMerges(f: Frame): void {
    const target = f.value as Record<string, unknown>;
    for (const src of f.merges!) {
      for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
        if (Object.prototype.hasOwnProperty.call(target, k)) continue;
        setKey(target, k, v);
      }
    }
  }

  scalar(value: Scalar, offset: number): void {
    this.emit(value, offset, 1, value === MERGE_KEY);
  }

  alias(name: string, offset: number): void {
    const a = this.anchors.get(name);
    if (a === undefined) {
      this.issue('invalid-yaml', `The alias *${name} refers to an anchor &${name} that is not defined before it.`, offset);
      this.emit(null, offset, 1, false);
      return;
    }
    this.emit(a.value, offset, a.size, false);
  }

  private emit(value: unknown, offset: number, size: number, isMerge: boolean): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      this.root = value;
      this.rootSize = size;
      this.rootOffset = Math.max(0, offset);
      return;
    }
    top.size += size;
    if (!top.isMap) {
      (top.value as unknown[]).push(value);
      top.pos.items!.push(offset);
      return;
    }
    if (!top.hasKey) {
      top.hasKey = true;
      top.keyOffset = offset;
      if (isMerge) top.key = MERGE_KEY;
      else if (value !== null && typeof value === 'object') {
        this.issue('invalid-yaml', 'A mapping key must be a plain value, not a mapping or a list.', offset);
        top.key = undefined;
      } else top.key = String(value);
      return;
    }
    top.hasKey = false;
    const key = top.key;
    if (key === undefined) return;
    if (key === MERGE_KEY) {
      const sources = Array.isArray(value) ? value : [value];
      for (const s of sources) {
        if (s === null || typeof s !== 'object' || Array.isArray(s)) {
          this.issue('invalid-yaml', 'A merge key (<<) must be followed by a mapping or a list of mappings.', top.keyOffset);
          return;
        }
      }
      (top.merges ??= []).push(...sources);
      return;
    }
    const target = top.value as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(target, key)) {
      this.issue('duplicate-key', duplicateKeyMessage(key), top.keyOffset, keyOffset(top.pos, key));
    }
    top.pos.names!.push(key);
    top.pos.keys!.push(top.keyOffset);
    setKey(target, key, value);
  }
}

export function duplicateKeyMessage(key: string): string {
  return `The key "${key}" appears twice in the same mapping; Kubernetes rejects the object in strict mode, and otherwise the last value wins.`;
}

export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function normaliseTag(tag: string): string {
  if (tag.startsWith('!<') && tag.endsWith('>')) tag = tag.slice(2, -1);
  if (tag.startsWith('tag:yaml.org,2002:')) return `!!${tag.slice('tag:yaml.org,2002:'.length)}`;
  return tag;
}

function parseOne(text: string, base: number, index: number, limits: ParseLimits, fast: boolean): ParsedDocument {
  if (fast) {
    const f = fastParse(text, base);
    if (f !== FALLBACK) return { index, base, ...f };
  }
  return parseEvents_(text, base, index, limits);
}

function parseEvents_(text: string, base: number, index: number, limits: ParseLimits): ParsedDocument {
  const b = new DocumentBuilder(text, base);
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: limits.maxDepth });
  } catch (e) {
    const err = e as { reason?: string; message?: string; mark?: { position?: number } };
    const reason = err.reason ?? err.message ?? String(e);
    const deep = /depth/i.test(reason);
    // Only a document that fails to parse gets the hint: `{{ }}` inside valid string values is
    // common and fine (Grafana dashboards, Prometheus rules).
    const template = /\{\{[^}]*\}\}/.test(text) ? ' It looks like an unrendered Helm template: render it first (helm template … | hostnet check -).' : '';
    const message = deep
      ? `The document nests deeper than ${limits.maxDepth} levels; hostnet stops reading it to stay bounded.`
      : `YAML syntax error: ${reason}.${template}`;
    b.issue('invalid-yaml', message, err.mark?.position ?? 0);
    return { index, base, value: undefined, positions: b.positions, rootOffset: 0, issues: b.issues };
  }
  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.MAPPING:
        b.open(true, ev.start, ev.anchorStart, ev.anchorEnd);
        break;
      case EVENT_ID.SEQUENCE:
        b.open(false, ev.start, ev.anchorStart, ev.anchorEnd);
        break;
      case EVENT_ID.SCALAR: {
        const raw = ev.valueStart < 0 ? '' : ev.fast ? text.slice(ev.valueStart, ev.valueEnd) : getScalarValue(text, ev);
        const quoted = ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED;
        let value: Scalar;
        if (ev.tagStart >= 0) value = resolveTagged(normaliseTag(text.slice(ev.tagStart, ev.tagEnd)), raw, quoted);
        else if (ev.style === SCALAR_STYLE.PLAIN) value = resolvePlain(raw);
        else value = raw;
        const offset = ev.valueStart < 0 ? -1 : quoted ? ev.valueStart - 1 : ev.valueStart;
        b.scalar(value, offset);
        if (ev.anchorStart >= 0) b.anchors.set(text.slice(ev.anchorStart, ev.anchorEnd), { value: value === MERGE_KEY ? '<<' : value, size: 1 });
        break;
      }
      case EVENT_ID.ALIAS:
        b.alias(text.slice(ev.anchorStart, ev.anchorEnd), ev.anchorStart - 1);
        break;
      case EVENT_ID.POP:
        if (b.stack.length > 0) b.close();
        break;
      default:
        break;
    }
  }
  if (b.rootSize > limits.maxExpandedNodes && b.anchors.size > 0) {
    b.issue('invalid-yaml', `Aliases expand this document to ${b.rootSize} nodes (limit ${limits.maxExpandedNodes}); it looks like an alias bomb, so hostnet skips it.`, 0);
    return { index, base, value: undefined, positions: b.positions, rootOffset: 0, issues: b.issues };
  }
  return { index, base, value: b.root, positions: b.positions, rootOffset: b.rootOffset, issues: b.issues };
}

/** Parse every document of a YAML (or JSON) stream. Never throws for bad input. */
export function parseYamlStream(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS, fast = true): ParsedDocument[] {
  const docs: ParsedDocument[] = [];
  for (const { start, end } of splitDocuments(text)) {
    docs.push(parseOne(text.slice(start, end), start, docs.length, limits, fast));
  }
  return docs;
}
