/**
 * iptables rules as plain data. A rule is the argument list iptables-save prints after
 * `-A <chain>`, one token per argument, unquoted; everything else (render, parse, trace) reads that
 * list. Keeping the tokens instead of a structured match tree means a real node's rules, with
 * matches hostnet does not model, still round-trip byte for byte.
 */
import { normalizeRule } from './normalize.js';

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';
export type Family = 'ipv4' | 'ipv6';

export interface Chain {
  readonly name: string;
  /** Built-in chains have a policy (`ACCEPT`, `DROP`); user chains have none (`-` in iptables-save). */
  readonly policy?: string;
  /** Each rule's arguments after `-A <name>`. */
  readonly rules: readonly (readonly string[])[];
}

export interface Table {
  readonly name: TableName;
  /** Built-in chains first, in the kernel's order, then user chains in the order they were declared. */
  readonly chains: readonly Chain[];
}

export interface Ruleset {
  readonly family: Family;
  readonly tables: readonly Table[];
}

/** The built-in chains of each table, in the order iptables-save lists them. */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** The order iptables-save prints tables in. */
export const TABLE_ORDER: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter'];

export function isBuiltinChain(table: TableName, chain: string): boolean {
  return BUILTIN_CHAINS[table].includes(chain);
}

/**
 * Builds one family's ruleset the way the programs on a node do: chains are created, rules are
 * appended (`-A`) or inserted at the top (`-I`). kube-proxy inserts its jumps into the built-in
 * chains and portmap appends its own, and that order decides which rule a packet meets first
 * (PM-11), so the builder keeps both operations.
 */
export class RulesetBuilder {
  private readonly tables = new Map<TableName, Map<string, { policy?: string; rules: string[][] }>>();

  constructor(readonly family: Family) {}

  private table(name: TableName): Map<string, { policy?: string; rules: string[][] }> {
    let t = this.tables.get(name);
    if (!t) {
      t = new Map();
      for (const c of BUILTIN_CHAINS[name]) t.set(c, { policy: 'ACCEPT', rules: [] });
      this.tables.set(name, t);
    }
    return t;
  }

  /** Create a user chain (no-op when it exists, like `iptables -N` guarded by a check). */
  chain(table: TableName, name: string): this {
    if (this.last !== undefined && this.last.chain === name && this.last.table === table) return this;
    const t = this.table(table);
    if (!t.has(name)) t.set(name, { rules: [] });
    return this;
  }

  hasChain(table: TableName, name: string): boolean {
    return this.tables.get(table)?.has(name) ?? false;
  }

  /**
   * `-A chain args…`: the chain must exist. Write the arguments as the program writes them; they
   * are stored the way the kernel gives them back to iptables-save (normalize.ts).
   */
  append(table: TableName, chain: string, args: readonly string[]): this {
    this.rulesOf(table, chain).push(normalizeRule(args, this.family));
    return this;
  }

  /** `-I chain 1 args…`: the rule becomes the chain's first. */
  insert(table: TableName, chain: string, args: readonly string[]): this {
    this.rulesOf(table, chain).unshift(normalizeRule(args, this.family));
    return this;
  }

  /** The chain last written to: kube-proxy writes a chain's rules one after another. */
  private last: { table: TableName; chain: string; rules: string[][] } | undefined;

  private rulesOf(table: TableName, chain: string): string[][] {
    const last = this.last;
    if (last !== undefined && last.chain === chain && last.table === table) return last.rules;
    const c = this.table(table).get(chain);
    if (c) this.last = { table, chain, rules: c.rules };
    if (!c) throw new Error(`hostnet bug: rule added to chain ${chain} in table ${table} before the chain was created`);
    return c.rules;
  }

  build(): Ruleset {
    const tables: Table[] = [];
    for (const name of TABLE_ORDER) {
      const t = this.tables.get(name);
      if (!t) continue;
      tables.push({ name, chains: [...t].map(([chain, c]) => (c.policy === undefined ? { name: chain, rules: c.rules } : { name: chain, policy: c.policy, rules: c.rules })) });
    }
    return { family: this.family, tables };
  }
}

/** The chain `name` of `table`, or undefined. */
export function findChain(ruleset: Ruleset, table: TableName, name: string): Chain | undefined {
  return ruleset.tables.find((t) => t.name === table)?.chains.find((c) => c.name === name);
}

/** Number of rules in a ruleset (for summaries and the bench). */
export function ruleCount(ruleset: Ruleset): number {
  let n = 0;
  for (const t of ruleset.tables) for (const c of t.chains) n += c.rules.length;
  return n;
}
