/**
 * Plain-scalar resolution as Kubernetes reads YAML: sigs.k8s.io/yaml over go-yaml v2, which
 * follows YAML 1.1 (`yes` is true, `0400` is octal 256, `0x1F` is 31) but has no base-60 numbers.
 * Ref: go-yaml/yaml v2 resolve.go#resolve (resolve table, ParseInt with base 0, yamlStyleFloat).
 */

const BOOL_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const BOOL_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ['.nan', NaN], ['.NaN', NaN], ['.NAN', NaN],
  ['.inf', Infinity], ['.Inf', Infinity], ['.INF', Infinity],
  ['+.inf', Infinity], ['+.Inf', Infinity], ['+.INF', Infinity],
  ['-.inf', -Infinity], ['-.Inf', -Infinity], ['-.INF', -Infinity],
]);

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
// Go's strconv.ParseInt(s, 0, 64) after go-yaml removed underscores.
const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
// go-yaml v2 parseTimestamp formats: a date, optionally with a time part.
const TIMESTAMP = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|$)/;

const MAYBE_SPECIAL: boolean[] = [];
for (const ch of '0123456789+-.yYnNtTfFoO~<') MAYBE_SPECIAL[ch.charCodeAt(0)] = true;

/** The marker go-yaml uses for `<<` merge keys. */
export const MERGE_KEY: unique symbol = Symbol('yaml-merge');

export type Scalar = string | number | boolean | null | typeof MERGE_KEY;

function parseGoInt(s: string): number | undefined {
  if (!GO_INT.test(s)) return undefined;
  let sign = 1;
  let body = s;
  if (body[0] === '+' || body[0] === '-') {
    if (body[0] === '-') sign = -1;
    body = body.slice(1);
  }
  if (body.length > 1 && body[0] === '0') {
    const p = body[1];
    if (p === 'x' || p === 'X') return sign * parseInt(body.slice(2), 16);
    if (p === 'o' || p === 'O') return sign * parseInt(body.slice(2), 8);
    if (p === 'b' || p === 'B') return sign * parseInt(body.slice(2), 2);
    return sign * parseInt(body.slice(1), 8);
  }
  return sign * parseInt(body, 10);
}

/** Resolve an untagged plain scalar the way go-yaml v2 does. */
export function resolvePlain(text: string): Scalar {
  if (text === '') return null;
  const c = text.charCodeAt(0);
  // go-yaml's resolve table: only these first characters can start anything but a string.
  if (!MAYBE_SPECIAL[c]) return text;
  // Every word in the tables is at most 5 characters; longer words starting with a letter are strings.
  if (text.length > 5 && !(c >= 48 && c <= 57) && c !== 43 && c !== 45 && c !== 46) return text;
  if (NULLS.has(text)) return null;
  if (BOOL_TRUE.has(text)) return true;
  if (BOOL_FALSE.has(text)) return false;
  if (text === '<<') return MERGE_KEY;
  const isDigit = c >= 48 && c <= 57;
  if (c === 46 /* . */) {
    const special = SPECIAL_FLOATS.get(text);
    if (special !== undefined) return special;
    return YAML_STYLE_FLOAT.test(text) ? Number(text) : text;
  }
  if (isDigit || c === 43 /* + */ || c === 45 /* - */) {
    const special = SPECIAL_FLOATS.get(text);
    if (special !== undefined) return special;
    // Timestamps decode to time.Time and come back out of sigs.k8s.io/yaml as strings.
    if (isDigit && TIMESTAMP.test(text)) return text;
    const plain = text.includes('_') ? text.replaceAll('_', '') : text;
    const i = parseGoInt(plain);
    if (i !== undefined) return i;
    if (YAML_STYLE_FLOAT.test(plain)) return Number(plain);
    return text;
  }
  return text;
}

/** Resolve a scalar with an explicit tag (`!!str 0400`, `!!int "7"`); unknown tags resolve as plain. */
export function resolveTagged(tag: string, text: string, quoted: boolean): Scalar {
  switch (tag) {
    case '!!str':
    case 'tag:yaml.org,2002:str':
    case '!!binary':
    case '!!timestamp':
    case '!':
      return text;
    case '!!null':
      return null;
    case '!!bool':
      return BOOL_TRUE.has(text) ? true : BOOL_FALSE.has(text) ? false : text;
    case '!!int':
    case '!!float': {
      const v = resolvePlain(text);
      return typeof v === 'number' ? v : text;
    }
    default:
      return quoted ? text : resolvePlain(text);
  }
}
