/**
 * The `iptables-save` text format, both ways. Rendering is byte-stable: the same ruleset always
 * gives the same text, with the chain order and quoting iptables-save (1.8, legacy and nft) uses:
 * built-in chains, then user chains by name; a chain's rules together; a `--comment` value quoted
 * unless it is only letters, digits, `_` and `-`. Parsing accepts what a real node prints
 * (`iptables-save`, `-c` counters, `ip6tables-save`) and reports lines it cannot read as values,
 * with their line numbers, while reading the rest.
 */
import { BUILTIN_CHAINS, TABLE_ORDER, type Chain, type Family, type Ruleset, type Table, type TableName } from './ruleset.js';

export interface RenderOptions {
  /** A first comment line, such as `# hostnet model of node worker-1`; none when absent. */
  readonly header?: string;
  /** Only these tables, in iptables-save order. */
  readonly tables?: readonly TableName[];
}

const NO_QUOTE = /^[A-Za-z0-9_-]+$/;

/** iptables' xtables_save_string: bare when safe, else double-quoted with `"`, `\` and `'` escaped. */
export function saveString(value: string): string {
  return NO_QUOTE.test(value) ? value : `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/** Whether a token other than a string option's value would be cut apart by iptables-restore. */
function needsQuotes(token: string): boolean {
  if (token === '') return true;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    // space, tab, newline, carriage return, ", ', backslash
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39 || c === 92) return true;
  }
  return false;
}

/** Options whose value iptables prints with xtables_save_string. */
const STRING_OPTIONS = new Set(['--comment', '--log-prefix', '--nflog-prefix']);

export function renderRule(chain: string, args: readonly string[]): string {
  const out = new Array<string>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    out[i] = i > 0 && STRING_OPTIONS.has(args[i - 1]!) ? saveString(a) : needsQuotes(a) ? saveString(a) : a;
    // libxt_nfacct prints its option with two spaces before the name; real nodes show it that way.
    if (i > 0 && args[i - 1] === '--nfacct-name') out[i] = ` ${out[i]}`;
  }
  return args.length === 0 ? `-A ${chain}` : `-A ${chain} ${out.join(' ')}`;
}

/**
 * Whether renderRule would print every argument as it is, so the line is the arguments joined by
 * spaces: no argument needs quotes, and none is an option whose value is printed specially.
 */
function isPlainRule(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (needsQuotes(a)) return false;
    if (a.length >= 9 && (STRING_OPTIONS.has(a) || a === '--nfacct-name')) return false;
  }
  return true;
}

/** Built-in chains in the kernel's order (declared or not), then user chains sorted by name. */
function orderedChains(table: Table): Chain[] {
  const builtins = BUILTIN_CHAINS[table.name];
  const declared: (Chain | undefined)[] = builtins.map(() => undefined);
  const own: Chain[] = [];
  for (const c of table.chains) {
    const b = builtins.indexOf(c.name);
    if (b < 0) own.push(c);
    else declared[b] ??= c;
  }
  // Code-unit order, which for chain names (ASCII) is byte order, as libiptc sorts.
  own.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const out: Chain[] = builtins.map((b, i) => declared[i] ?? { name: b, policy: 'ACCEPT', rules: [] });
  for (const c of own) out.push(c);
  return out;
}

/** User chains sorted by name, after the built-ins: the order iptables-save prints them in. */
export function savedChainOrder(table: Table): Chain[] {
  return orderedChains(table);
}

/** Push the table's lines (without line ends) onto `lines`: one array and one join for the whole text. */
function pushTable(table: Table, lines: string[]): void {
  const chains = orderedChains(table);
  lines.push(`*${table.name}`);
  for (const c of chains) lines.push(`:${c.name} ${c.policy ?? '-'} [0:0]`);
  for (const c of chains) {
    const head = `-A ${c.name} `;
    for (const r of c.rules) lines.push(r.length > 0 && isPlainRule(r) ? head + r.join(' ') : renderRule(c.name, r));
  }
  lines.push('COMMIT');
}

export function renderTable(table: Table): string {
  const lines: string[] = [];
  pushTable(table, lines);
  return lines.join('\n');
}

export function renderIptablesSave(ruleset: Ruleset, options: RenderOptions = {}): string {
  const wanted = options.tables ?? TABLE_ORDER;
  const lines: string[] = [];
  if (options.header) lines.push(options.header.startsWith('#') ? options.header : `# ${options.header}`);
  for (const name of TABLE_ORDER) {
    const t = ruleset.tables.find((x) => x.name === name);
    if (t && wanted.includes(name)) pushTable(t, lines);
  }
  lines.push('');
  return lines.join('\n');
}

export interface ParseProblem {
  readonly line: number;
  readonly message: string;
}

export interface ParsedIptablesSave {
  readonly ruleset: Ruleset;
  readonly problems: readonly ParseProblem[];
}

/** Split a rule line into arguments the way iptables-restore does: spaces, and double quotes with backslash escapes. */
export function tokenize(line: string): { tokens: string[]; error?: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let token = '';
    let quoted = false;
    while (i < line.length && (quoted || !/\s/.test(line[i]!))) {
      const ch = line[i]!;
      if (ch === '"') {
        quoted = !quoted;
        i++;
      } else if (ch === '\\' && quoted && i + 1 < line.length) {
        token += line[i + 1];
        i += 2;
      } else {
        token += ch;
        i++;
      }
    }
    if (quoted) return { tokens, error: 'a quoted value is not closed' };
    tokens.push(token);
  }
  return { tokens };
}

const TABLES = new Set<string>(TABLE_ORDER);

/** Guess the family from the addresses in the text: any `-s`/`-d` with a colon means ip6tables-save. */
function guessFamily(text: string): Family {
  return /\s-[sd]\s+[0-9a-fA-F]*:[0-9a-fA-F:]*/.test(text) ? 'ipv6' : 'ipv4';
}

export function parseIptablesSave(text: string, family: Family = guessFamily(text)): ParsedIptablesSave {
  const problems: ParseProblem[] = [];
  const tables: { name: TableName; chains: Map<string, { name: string; policy?: string; rules: string[][] }> }[] = [];
  let current: (typeof tables)[number] | undefined;
  let skippingTable = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      if (!TABLES.has(name)) {
        problems.push({ line: lineNo, message: `"${name}" is not a table iptables has (raw, mangle, nat, filter); its lines are skipped.` });
        current = undefined;
        skippingTable = true;
        continue;
      }
      skippingTable = false;
      current = tables.find((t) => t.name === name);
      if (!current) tables.push((current = { name: name as TableName, chains: new Map() }));
      continue;
    }
    if (line === 'COMMIT') {
      current = undefined;
      skippingTable = false;
      continue;
    }
    if (skippingTable) continue;
    if (!current) {
      problems.push({ line: lineNo, message: 'This line is outside a table: a table starts with a line such as "*nat" and ends with "COMMIT".' });
      continue;
    }
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (!name) {
        problems.push({ line: lineNo, message: 'A chain line must name the chain, as in ":KUBE-SERVICES - [0:0]".' });
        continue;
      }
      const existing = current.chains.get(name);
      const builtin = BUILTIN_CHAINS[current.name].includes(name);
      if (!existing) current.chains.set(name, builtin ? { name, policy: policy && policy !== '-' ? policy : 'ACCEPT', rules: [] } : { name, rules: [] });
      continue;
    }
    // `iptables-save -c` puts packet and byte counters before the rule.
    const counters = /^\[\d+:\d+\]\s+/.exec(line);
    if (counters) line = line.slice(counters[0].length);
    const { tokens, error } = tokenize(line);
    if (error) {
      problems.push({ line: lineNo, message: `This rule cannot be read: ${error}. It is skipped.` });
      continue;
    }
    const [op, chain, ...args] = tokens;
    if ((op !== '-A' && op !== '--append') || !chain) {
      problems.push({ line: lineNo, message: `Expected a rule starting with "-A <chain>", a chain line ":<chain>", "*<table>" or "COMMIT"; "${tokens[0] ?? ''}" is none of them. The line is skipped.` });
      continue;
    }
    let c = current.chains.get(chain);
    if (!c) {
      problems.push({ line: lineNo, message: `Chain ${chain} gets a rule but was not declared with a ":${chain}" line in table ${current.name}; hostnet declares it and goes on.` });
      current.chains.set(chain, (c = BUILTIN_CHAINS[current.name].includes(chain) ? { name: chain, policy: 'ACCEPT', rules: [] } : { name: chain, rules: [] }));
    }
    c.rules.push(args);
  }
  if (current) problems.push({ line: lines.length, message: `Table ${current.name} has no closing "COMMIT" line; its rules are read anyway.` });
  const ordered = TABLE_ORDER.flatMap((name) => tables.filter((t) => t.name === name));
  return {
    ruleset: {
      family,
      tables: ordered.map((t) => {
        const builtins = BUILTIN_CHAINS[t.name].map((b) => t.chains.get(b) ?? { name: b, policy: 'ACCEPT', rules: [] });
        const own = [...t.chains.values()].filter((c) => !BUILTIN_CHAINS[t.name].includes(c.name));
        return { name: t.name, chains: [...builtins, ...own] };
      }),
    },
    problems,
  };
}
