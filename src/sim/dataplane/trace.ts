/**
 * The packet tracer: one packet, the first of a NEW connection, walked through a node's `Ruleset`
 * the way netfilter walks it, to where it ends up, with every rule it matched on the way.
 *
 * Hooks and tables run in the kernel's priority order (raw -300, mangle -150, nat DNAT -100,
 * filter 0, nat SNAT 100; include/uapi/linux/netfilter_ipv4.h `nf_ip_hook_priorities`):
 * - from outside (another host, or a pod through its veth): PREROUTING (raw, mangle, nat), the
 *   routing decision on the destination after DNAT, then INPUT (mangle, filter, nat) for a local
 *   destination or FORWARD (mangle, filter) and POSTROUTING (mangle, nat) for any other;
 * - from a process on the node: OUTPUT (raw, mangle, nat, filter), POSTROUTING (mangle, nat), and
 *   for a local destination the loopback's way back in: PREROUTING (raw, mangle) and INPUT
 *   (mangle, filter). nat runs once per direction of a connection: the DNAT chains (PREROUTING or
 *   OUTPUT) and the SNAT chains (INPUT or POSTROUTING) each see the first packet once, so the nat
 *   chains are skipped where the kernel has already set up that half of the NAT binding.
 *
 * Two routing facts change the verdict and are modelled here, not by rules: a packet that arrives
 * on a network interface addressed to 127.0.0.0/8 (or DNATed there in PREROUTING) is dropped as a
 * martian unless route_localnet is 1, and a packet from 127.0.0.1 that must leave the node after
 * OUTPUT's DNAT is refused by the routing code unless route_localnet is 1 and is dropped by the
 * receiver unless it was masqueraded (PM-7, KP-7; the reason portmap and kube-proxy mark
 * localhost traffic for masquerade, PM-6, KP-3).
 *
 * `-m statistic` splits the trace: one branch where the rule matched (probability p) and one where
 * it did not (1 - p), multiplied along the way, so kube-proxy's endpoint choice (KP-5) comes out
 * as one branch per endpoint. The whole trace is a pure function of its arguments.
 */
import { isLoopback } from './addresses.js';
import { renderRule } from './iptables-save.js';
import { compileRule, dstPrefilter4, ruleMatches, toAddr, type Addr, type CompiledRule, type Iface, type MatchContext } from './matches.js';
import type { Chain, Family, Ruleset, TableName } from './ruleset.js';

export interface Packet {
  readonly src: string;
  readonly dst: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly dport: number;
  /** The client's port; unknown (an ephemeral port) when absent, and `--sport` matches are then assumed. */
  readonly sport?: number;
}

export type Origin =
  /** Arrives on a node interface from another host: nat PREROUTING, then INPUT or FORWARD. */
  | { readonly kind: 'external'; /** The interface it arrives on (`eth0`), when known. */ readonly iface?: string }
  /** From a pod on this node through its veth: like external, but from the pod's address. */
  | { readonly kind: 'pod'; readonly podIP: string; /** The host-side interface (`cali1234…`, `cni0`), when known. */ readonly iface?: string }
  /** From a process on the node itself: nat OUTPUT, filter OUTPUT, POSTROUTING, then INPUT if the destination is local. */
  | { readonly kind: 'node' };

export interface TraceEnv {
  /** addrtype LOCAL: addresses the node owns (node IPs, 127.0.0.0/8 …). */
  isLocal(ip: string): boolean;
  /** Where an address lives after all NAT: used for the verdict. */
  locate(ip: string): { kind: 'node'; node: string } | { kind: 'pod'; node: string; pod: string } | { kind: 'unknown' };
  /** Sysctls that change the verdict: route_localnet (PM-7, KP-7). */
  readonly routeLocalnet: boolean;
  /** The node whose rules these are; names the host in a verdict when `locate` does not know a local address (127.0.0.1). */
  readonly node?: string;
}

export interface TraceStep {
  readonly table: string;
  readonly chain: string;
  /** 1-based rule number in the chain, as `iptables -L --line-numbers`; 0 for a chain policy or the kernel's routing code. */
  readonly index: number;
  /** The rule as iptables-save prints it (`-A …`), `-P <chain> <policy>` for a policy. */
  readonly rule: string;
  /** 'jump KUBE-SVC-…', 'goto …', 'DNAT to 10.244.1.5:80', 'mark 0x4000', 'MASQUERADE', 'REJECT', 'DROP', 'ACCEPT', 'RETURN', 'LOG', 'count only' … */
  readonly effect: string;
  /** Set when the rule matched only by chance (`-m statistic`): the chance it had. */
  readonly chance?: number;
}

export type Verdict =
  | {
      readonly kind: 'delivered';
      readonly to: 'pod' | 'host';
      readonly node: string;
      readonly pod?: string;
      readonly ip: string;
      readonly port: number;
      readonly protocol: string;
      readonly masqueraded: boolean;
    }
  /** Leaves the node with its destination unchanged (but masqueraded), or DNATed to an address that is no pod (another node, an unknown host). */
  | { readonly kind: 'forwarded'; readonly ip: string; readonly port: number; readonly masqueraded: boolean; readonly node?: string }
  | { readonly kind: 'rejected'; readonly by: TraceStep; readonly reason: string }
  /** Dropped by a rule, a DROP policy, or the kernel's routing code (`by.table` is 'kernel'). */
  | { readonly kind: 'dropped'; readonly by: TraceStep; readonly reason: string }
  /**
   * No rule changed the packet (no DNAT, no SNAT, not dropped): where it goes on its own, a
   * socket on the node (`host`) or onwards (`forward`) to whatever `locate` says lives there.
   */
  | {
      readonly kind: 'unhandled';
      readonly to: 'host' | 'forward';
      readonly node?: string;
      readonly pod?: string;
      readonly ip: string;
      readonly port: number;
      readonly protocol: string;
    };

export interface TraceBranch {
  readonly probability: number;
  readonly steps: readonly TraceStep[];
  readonly verdict: Verdict;
  /** The packet after NAT. After MASQUERADE the source is the outgoing interface's address, which the rules do not say: `src` keeps the original and the verdict says `masqueraded`. */
  readonly packet: Packet;
}

export interface TraceResult {
  readonly origin: Origin;
  readonly packet: Packet;
  /** Most likely paths first within each split; the probabilities add up to 1 unless the branch cap was hit (see notes). */
  readonly branches: readonly TraceBranch[];
  /** What the trace assumed or could not see, as sentences: unknown matches, route_localnet … */
  readonly notes: readonly string[];
}

/** At most this many branches per trace; past it, a split follows its more likely side only, with a note. */
export const MAX_BRANCHES = 64;

type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One branch's packet and connection state while it is walked. */
interface Flow {
  prob: number;
  /** The fork choices that led here ('0' matched, '1' did not), for a stable branch order. */
  path: string;
  steps: TraceStep[];
  src: string;
  dst: string;
  srcAddr: Addr;
  dstAddr: Addr;
  dport: number;
  mark: number;
  ctmark: number;
  dnat: boolean;
  snat: boolean;
  /** After MASQUERADE the source is an address of the node. */
  srcIsNode: boolean;
  untracked: boolean;
  /** The DNAT half (PREROUTING/OUTPUT) and the SNAT half (INPUT/POSTROUTING) of the NAT binding are set up. */
  dstManipDone: boolean;
  srcManipDone: boolean;
  /** REDIRECT sends the packet to the node itself whatever its address. */
  forceLocal: boolean;
  recent: string[];
}

interface Frame {
  chain: Chain;
  code: ChainCode;
  next: number;
  /** The hook's built-in chain, or a chain reached from it by goto: its end means the policy. */
  base: boolean;
}

interface Run {
  readonly tables: ReadonlyMap<TableName, ReadonlyMap<string, Chain>>;
  readonly env: TraceEnv;
  readonly family: Family;
  readonly packet: Packet;
  readonly origAddr: { readonly src: Addr; readonly dst: Addr };
  readonly origin: Origin;
  readonly notes: string[];
  readonly noted: Set<string>;
  readonly branches: { path: string; branch: TraceBranch }[];
  forks: number;
  lost: number;
}

// ---------------------------------------------------------------------------------------------
// Caches: the chain index of a ruleset and the compiled rules of a chain, built once.

const indexCache = new WeakMap<Ruleset, ReadonlyMap<TableName, ReadonlyMap<string, Chain>>>();

function indexOf(ruleset: Ruleset): ReadonlyMap<TableName, ReadonlyMap<string, Chain>> {
  let idx = indexCache.get(ruleset);
  if (!idx) {
    const m = new Map<TableName, Map<string, Chain>>();
    for (const t of ruleset.tables) m.set(t.name, new Map(t.chains.map((c) => [c.name, c])));
    indexCache.set(ruleset, (idx = m));
  }
  return idx;
}

/**
 * A chain ready to walk: the prefilter of every rule (matches.ts#dstPrefilter4), computed once,
 * and each rule compiled the first time a packet passes its prefilter.
 */
interface ChainCode {
  readonly nets: Uint32Array;
  readonly masks: Uint32Array;
  readonly compiled: (CompiledRule | undefined)[];
}

const chainCache = new WeakMap<readonly (readonly string[])[], ChainCode>();

function codeOf(chain: Chain): ChainCode {
  let code = chainCache.get(chain.rules);
  // A builder's chain arrays can still grow after build(): a cache of another length is stale.
  if (!code || code.nets.length !== chain.rules.length) {
    const n = chain.rules.length;
    const nets = new Uint32Array(n);
    const masks = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const q = dstPrefilter4(chain.rules[i]!);
      nets[i] = q.net;
      masks[i] = q.mask;
    }
    chainCache.set(chain.rules, (code = { nets, masks, compiled: new Array<CompiledRule | undefined>(n) }));
  }
  return code;
}

// ---------------------------------------------------------------------------------------------

function note(run: Run, text: string): void {
  if (!run.noted.has(text)) {
    run.noted.add(text);
    run.notes.push(text);
  }
}

const NONE: Iface = { kind: 'none' };
const LO: Iface = { kind: 'known', name: 'lo' };
const AWAY: Iface = { kind: 'unknown', notLo: true };

function isLocalDst(run: Run, f: Flow): boolean {
  return f.forceLocal || run.env.isLocal(f.dst);
}

/**
 * The interfaces a rule sees at a hook. A pod's packets arrive on its host-side veth (or the
 * bridge), another host's on some uplink: neither is `lo`, and neither has a name the trace knows
 * unless the origin gives it. The node's own packets have no input interface until they come back
 * in through `lo`. The output interface is `lo` for local destinations and unnamed otherwise.
 */
function ifacesAt(run: Run, hook: Hook, f: Flow): { in: Iface; out: Iface } {
  const o = run.origin;
  if (o.kind === 'node') {
    if (hook === 'OUTPUT' || hook === 'POSTROUTING') return { in: NONE, out: isLocalDst(run, f) ? LO : AWAY };
    return { in: LO, out: NONE };
  }
  const inIf: Iface = o.iface !== undefined ? { kind: 'known', name: o.iface } : AWAY;
  switch (hook) {
    case 'PREROUTING':
    case 'INPUT':
      return { in: inIf, out: NONE };
    case 'FORWARD':
      return { in: inIf, out: AWAY };
    default:
      return { in: NONE, out: AWAY };
  }
}

function contextOf(run: Run, f: Flow, hook: Hook): Mutable<MatchContext> & { recent: Set<string> } {
  const { in: inIface, out: outIface } = ifacesAt(run, hook, f);
  const ctstates = new Set<string>();
  if (f.untracked) ctstates.add('UNTRACKED');
  else {
    ctstates.add('NEW');
    if (f.dnat) ctstates.add('DNAT');
    if (f.snat) ctstates.add('SNAT');
  }
  return {
    family: run.family,
    src: f.srcAddr,
    dst: f.dstAddr,
    protocol: run.packet.protocol,
    sport: run.packet.sport,
    dport: f.dport,
    mark: f.mark,
    ctmark: f.ctmark,
    srcLocal: f.srcIsNode || run.env.isLocal(f.src),
    dstLocal: isLocalDst(run, f),
    ctstates,
    origSrc: run.origAddr.src,
    origDst: run.origAddr.dst,
    origSport: run.packet.sport,
    origDport: run.packet.dport,
    inIface,
    outIface,
    recent: new Set(f.recent),
  };
}

function cloneFlow(f: Flow): Flow {
  return { ...f, steps: f.steps.slice(), recent: f.recent.slice() };
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function commentOf(args: readonly string[]): string | undefined {
  const i = args.indexOf('--comment');
  return i >= 0 ? args[i + 1] : undefined;
}

function assumptionNote(run: Run, step: TraceStep, phrases: readonly string[]): void {
  const list = phrases.length === 1 ? phrases[0]! : `${phrases.slice(0, -1).join(', ')} and ${phrases[phrases.length - 1]!}`;
  note(run, `Rule ${step.index} of ${step.table} ${step.chain} (${step.rule}) depends on ${list}, so hostnet assumed it matches.`);
}

type WalkEnd = { readonly flow: Flow; readonly end: 'continue' } | { readonly flow: Flow; readonly end: 'drop' | 'reject'; readonly by: TraceStep; readonly args?: readonly string[] };

/** One table's walk for one hook, from the built-in chain; forks on `-m statistic`. */
function walkTable(run: Run, flow: Flow, table: TableName, hook: Hook): WalkEnd[] {
  const chains = run.tables.get(table);
  const base = chains?.get(hook);
  if (!chains || !base) return [{ flow, end: 'continue' }];
  const ends: WalkEnd[] = [];
  const work: { flow: Flow; stack: Frame[] }[] = [{ flow, stack: [{ chain: base, code: codeOf(base), next: 0, base: true }] }];
  while (work.length > 0) {
    const item = work.pop()!;
    ends.push(runStack(run, item.flow, item.stack, table, hook, chains, work));
  }
  return ends;
}

function runStack(run: Run, flow: Flow, stack: Frame[], table: TableName, hook: Hook, chains: ReadonlyMap<string, Chain>, work: { flow: Flow; stack: Frame[] }[]): WalkEnd {
  const ctx = contextOf(run, flow, hook);
  const assumed: string[] = [];
  // The destination only changes by DNAT/REDIRECT, which end the walk.
  const v4 = ctx.dst.family === 'ipv4';
  const dst4 = ctx.dst.v4;
  const policyEnd = (): WalkEnd => {
    const policy = chains.get(hook)?.policy ?? 'ACCEPT';
    if (policy === 'DROP') {
      const by: TraceStep = { table, chain: hook, index: 0, rule: `-P ${hook} DROP`, effect: 'DROP' };
      flow.steps.push(by);
      return { flow, end: 'drop', by };
    }
    if (policy !== 'ACCEPT') note(run, `The ${table} ${hook} chain has the policy ${policy}, which hostnet treats as ACCEPT.`);
    return { flow, end: 'continue' };
  };
  for (;;) {
    const top = stack[stack.length - 1]!;
    const code = top.code;
    const { nets, masks } = code;
    const n = nets.length;
    let i = top.next;
    // The tight part of a 10,000-rule chain: rules whose `-d` cannot hold are passed over here.
    if (v4) while (i < n && ((dst4 & masks[i]!) >>> 0) !== nets[i]) i++;
    if (i >= n) {
      top.next = n;
      if (top.base) return policyEnd();
      stack.pop();
      continue;
    }
    top.next = i + 1;
    const args = top.chain.rules[i]!;
    const rule = code.compiled[i] ?? (code.compiled[i] = compileRule(args));
    if (assumed.length > 0) assumed.length = 0;
    if (!ruleMatches(rule, ctx, assumed)) continue;
    let chance: number | undefined;
    if (rule.chance !== undefined) {
      const p = rule.chance;
      if (p <= 0) continue;
      if (p < 1) {
        if (run.forks + 1 < MAX_BRANCHES) {
          run.forks++;
          const other = cloneFlow(flow);
          other.prob *= 1 - p;
          other.path += '1';
          work.push({ flow: other, stack: stack.map((fr) => ({ ...fr })) });
          flow.prob *= p;
          flow.path += '0';
          chance = p;
        } else if (p >= 0.5) {
          run.lost += flow.prob * (1 - p);
          flow.prob *= p;
          chance = p;
        } else {
          run.lost += flow.prob * p;
          flow.prob *= 1 - p;
          continue;
        }
      }
    }
    const at = (effect: string): TraceStep => ({
      table,
      chain: top.chain.name,
      index: i + 1,
      rule: renderRule(top.chain.name, args),
      effect,
      ...(chance !== undefined ? { chance } : {}),
    });
    for (const name of rule.recentSet) {
      if (!flow.recent.includes(name)) flow.recent.push(name);
      ctx.recent.add(name);
    }
    const t = rule.target;
    let step: TraceStep;
    let end: WalkEnd | undefined;
    let toPolicy = false;
    switch (t.kind) {
      case 'none':
        step = at('count only');
        break;
      case 'jump':
      case 'goto': {
        const target = chains.get(t.chain);
        const verb = t.kind === 'jump' ? 'jump' : 'goto';
        if (!target) {
          step = at(`${verb} ${t.chain} (no such chain)`);
          note(run, `Rule ${step.index} of ${table} ${step.chain} jumps to ${t.chain}, which is neither a chain of the ${table} table nor a target hostnet knows; the trace goes on as if the rule did nothing.`);
        } else if (stack.some((fr) => fr.chain === target)) {
          step = at(`${verb} ${t.chain} (loop, ignored)`);
          note(run, `Rule ${step.index} of ${table} ${step.chain} jumps back to ${t.chain}, which is already being walked; the kernel refuses such loops, and the trace ignores the jump.`);
        } else {
          step = at(`${verb} ${t.chain}`);
          const frame: Frame = { chain: target, code: codeOf(target), next: 0, base: false };
          if (t.kind === 'goto') frame.base = stack.pop()!.base;
          stack.push(frame);
        }
        break;
      }
      case 'ACCEPT':
        step = at('ACCEPT');
        end = { flow, end: 'continue' };
        break;
      case 'DROP':
        step = at('DROP');
        end = { flow, end: 'drop', by: step, args };
        break;
      case 'REJECT':
        step = at('REJECT');
        end = { flow, end: 'reject', by: step, args };
        break;
      case 'RETURN':
        step = at('RETURN');
        if (top.base) toPolicy = true;
        else stack.pop();
        break;
      case 'DNAT': {
        if (t.ip !== undefined) {
          const a = toAddr(t.ip);
          if (a) {
            flow.dst = t.ip;
            flow.dstAddr = a;
          }
        }
        if (t.port !== undefined) flow.dport = t.port;
        flow.dnat = t.ip !== undefined || t.port !== undefined;
        step = at(flow.dnat ? `DNAT to ${t.port !== undefined ? hostPort(flow.dst, flow.dport) : flow.dst}` : 'DNAT (unreadable, destination unchanged)');
        if (t.range) note(run, `Rule ${step.index} of ${table} ${step.chain} DNATs to a range of addresses or ports; the trace follows the first of each.`);
        end = { flow, end: 'continue' };
        break;
      }
      case 'SNAT':
        if (t.ip !== undefined) {
          const a = toAddr(t.ip);
          if (a) {
            flow.src = t.ip;
            flow.srcAddr = a;
          }
        }
        flow.snat = true;
        step = at(t.ip !== undefined ? `SNAT to ${t.ip}` : 'SNAT');
        end = { flow, end: 'continue' };
        break;
      case 'MASQUERADE':
        flow.snat = true;
        flow.srcIsNode = true;
        step = at('MASQUERADE');
        end = { flow, end: 'continue' };
        break;
      case 'REDIRECT': {
        // REDIRECT is DNAT to the node itself: 127.0.0.1 (::1) from OUTPUT, the input interface's address otherwise.
        if (hook === 'OUTPUT') {
          flow.dst = run.family === 'ipv6' ? '::1' : '127.0.0.1';
          flow.dstAddr = toAddr(flow.dst)!;
        } else if (!run.env.isLocal(flow.dst)) {
          note(run, `Rule ${i + 1} of ${table} ${top.chain.name} redirects to the address of the interface the packet came in on, which hostnet does not know; the verdict keeps the original address.`);
        }
        if (t.port !== undefined) flow.dport = t.port;
        flow.dnat = true;
        flow.forceLocal = true;
        step = at(`REDIRECT to port ${flow.dport}`);
        end = { flow, end: 'continue' };
        break;
      }
      case 'MARK':
        flow.mark = ((flow.mark & ~t.mask) ^ t.value) >>> 0;
        ctx.mark = flow.mark;
        step = at(`mark ${hex(flow.mark)}`);
        break;
      case 'CONNMARK':
        if (t.op === 'xset') flow.ctmark = ((flow.ctmark & ~t.mask) ^ t.value) >>> 0;
        else if (t.op === 'save') flow.ctmark = ((flow.ctmark & ~t.ctmask) ^ (flow.mark & t.nfmask)) >>> 0;
        else flow.mark = ((flow.mark & ~t.nfmask) ^ (flow.ctmark & t.ctmask)) >>> 0;
        ctx.mark = flow.mark;
        ctx.ctmark = flow.ctmark;
        step = at(t.op === 'restore' ? `mark ${hex(flow.mark)}` : `connmark ${hex(flow.ctmark)}`);
        break;
      case 'NOTRACK':
        flow.untracked = true;
        ctx.ctstates = new Set(['UNTRACKED']);
        step = at('NOTRACK');
        break;
      case 'continue':
        step = at(t.name);
        break;
    }
    flow.steps.push(step);
    const phrases = assumed.length > 0 ? [...rule.assumed, ...assumed] : rule.assumed;
    if (phrases.length > 0) assumptionNote(run, step, phrases);
    if (toPolicy) return policyEnd();
    if (end) return end;
  }
}

/** One hook: its tables in priority order; returns the branches that go on. */
function runHook(run: Run, flow: Flow, hook: Hook, tables: readonly TableName[]): Flow[] {
  let live = [flow];
  for (const table of tables) {
    const next: Flow[] = [];
    for (const f of live) {
      const nat = table === 'nat';
      const dnatHalf = hook === 'PREROUTING' || hook === 'OUTPUT';
      if (nat && (f.untracked || (dnatHalf ? f.dstManipDone : f.srcManipDone))) {
        next.push(f);
        continue;
      }
      for (const end of walkTable(run, f, table, hook)) {
        if (end.end === 'continue') {
          if (nat) {
            if (dnatHalf) end.flow.dstManipDone = true;
            else end.flow.srcManipDone = true;
          }
          next.push(end.flow);
        } else {
          const what = end.by.index === 0 ? `The ${end.by.table} ${end.by.chain} chain's policy is DROP and no rule accepted the packet.` : undefined;
          const comment = end.args ? commentOf(end.args) : undefined;
          const by = `rule ${end.by.index} of ${end.by.table} ${end.by.chain}${comment !== undefined ? ` ("${comment}")` : ''}`;
          if (end.end === 'drop') finish(run, end.flow, { kind: 'dropped', by: end.by, reason: what ?? `The packet is dropped by ${by}.` });
          else finish(run, end.flow, { kind: 'rejected', by: end.by, reason: `The packet is rejected by ${by}.` });
        }
      }
    }
    live = next;
  }
  return live;
}

function packetOf(run: Run, f: Flow): Packet {
  const p = run.packet;
  return { src: f.src, dst: f.dst, protocol: p.protocol, dport: f.dport, ...(p.sport !== undefined ? { sport: p.sport } : {}) };
}

function finish(run: Run, f: Flow, verdict: Verdict): void {
  run.branches.push({ path: f.path, branch: { probability: f.prob, steps: f.steps, verdict, packet: packetOf(run, f) } });
}

function kernelDrop(run: Run, f: Flow, what: string, reason: string): void {
  finish(run, f, { kind: 'dropped', by: { table: 'kernel', chain: 'routing', index: 0, rule: what, effect: 'DROP' }, reason });
}

function routeLocalnetNote(run: Run): void {
  note(run, 'route_localnet is 0 on this node, so traffic to or from 127.0.0.0/8 cannot cross a network interface (PM-7, KP-7).');
}

/** Delivered to a socket on the node. */
function finishLocal(run: Run, f: Flow): void {
  const where = run.env.locate(f.dst);
  const node = where.kind === 'unknown' ? run.env.node ?? 'this node' : where.node;
  const pod = where.kind === 'pod' ? { pod: where.pod } : {};
  const protocol = run.packet.protocol;
  if (f.dnat || f.snat) finish(run, f, { kind: 'delivered', to: 'host', node, ...pod, ip: f.dst, port: f.dport, protocol, masqueraded: f.snat });
  else finish(run, f, { kind: 'unhandled', to: 'host', node, ...pod, ip: f.dst, port: f.dport, protocol });
}

/** Leaves through a non-loopback interface: to a pod (on this node or another) or onwards. */
function finishAway(run: Run, f: Flow): void {
  const where = run.env.locate(f.dst);
  const protocol = run.packet.protocol;
  if (!f.dnat && !f.snat) {
    const at = where.kind === 'unknown' ? {} : where.kind === 'pod' ? { node: where.node, pod: where.pod } : { node: where.node };
    finish(run, f, { kind: 'unhandled', to: 'forward', ...at, ip: f.dst, port: f.dport, protocol });
  } else if (where.kind === 'pod') {
    finish(run, f, { kind: 'delivered', to: 'pod', node: where.node, pod: where.pod, ip: f.dst, port: f.dport, protocol, masqueraded: f.snat });
  } else {
    finish(run, f, { kind: 'forwarded', ip: f.dst, port: f.dport, masqueraded: f.snat, ...(where.kind === 'node' ? { node: where.node } : {}) });
  }
}

/** From another host or a pod: PREROUTING, the input route lookup, then INPUT or FORWARD + POSTROUTING. */
function fromOutside(run: Run, flow: Flow): void {
  for (const f of runHook(run, flow, 'PREROUTING', ['raw', 'mangle', 'nat'])) {
    // ip_route_input_slow: loopback addresses on a real interface are martians unless route_localnet.
    if (isLoopback(f.dst)) {
      if (run.family === 'ipv6' || f.dstAddr.family === 'ipv6') {
        kernelDrop(run, f, `martian destination ${f.dst}`, 'The kernel never accepts a packet addressed to ::1 from a network interface; IPv6 has no route_localnet switch.');
        continue;
      }
      if (!run.env.routeLocalnet) {
        routeLocalnetNote(run);
        kernelDrop(run, f, `martian destination ${f.dst}`, f.dnat
          ? `The packet was DNATed to ${f.dst} in PREROUTING, and the kernel drops a packet from a network interface addressed to 127.0.0.0/8 as a martian destination unless route_localnet is 1; it is 0 here.`
          : `The kernel drops a packet from a network interface addressed to ${f.dst} as a martian destination unless route_localnet is 1; it is 0 here.`);
        continue;
      }
    }
    if (isLoopback(f.src) && (f.srcAddr.family === 'ipv6' || !run.env.routeLocalnet)) {
      if (f.srcAddr.family === 'ipv4') routeLocalnetNote(run);
      kernelDrop(run, f, `martian source ${f.src}`, `The kernel drops a packet that arrives on a network interface with the loopback source ${f.src} as a martian source.`);
      continue;
    }
    if (isLocalDst(run, f)) {
      for (const g of runHook(run, f, 'INPUT', ['mangle', 'filter', 'nat'])) finishLocal(run, g);
    } else {
      for (const g of runHook(run, f, 'FORWARD', ['mangle', 'filter'])) for (const h of runHook(run, g, 'POSTROUTING', ['mangle', 'nat'])) finishAway(run, h);
    }
  }
}

/** From a process on the node: OUTPUT, the reroute after DNAT, POSTROUTING, and back in through lo when local. */
function fromNode(run: Run, flow: Flow): void {
  for (const f of runHook(run, flow, 'OUTPUT', ['raw', 'mangle', 'nat', 'filter'])) {
    const local = isLocalDst(run, f);
    // __mkroute_output: a loopback source may only leave through a non-loopback device with route_localnet.
    if (!local && isLoopback(f.src)) {
      if (f.srcAddr.family === 'ipv6') {
        kernelDrop(run, f, `loopback source ${f.src}`, `After DNAT to ${f.dst} the packet would leave the node with the source ${f.src}, which the kernel never allows for IPv6 (PM-7).`);
        continue;
      }
      if (!run.env.routeLocalnet) {
        routeLocalnetNote(run);
        kernelDrop(run, f, `loopback source ${f.src}`, `After DNAT to ${f.dst} the packet must leave through a network interface with the source ${f.src}, which the kernel refuses unless route_localnet is 1; it is 0 here (PM-7, KP-7).`);
        continue;
      }
    }
    for (const g of runHook(run, f, 'POSTROUTING', ['mangle', 'nat'])) {
      if (local) {
        for (const h of runHook(run, g, 'PREROUTING', ['raw', 'mangle', 'nat'])) for (const k of runHook(run, h, 'INPUT', ['mangle', 'filter', 'nat'])) finishLocal(run, k);
      } else if (isLoopback(g.src) && !g.snat) {
        kernelDrop(run, g, `martian source ${g.src}`, `The packet leaves the node with the source ${g.src} because no rule masqueraded it, and the receiver drops it as a martian source; this is why portmap and kube-proxy mark localhost traffic for masquerade (PM-6, KP-3).`);
      } else {
        finishAway(run, g);
      }
    }
  }
}

/**
 * Walk `packet`, the first packet of a new connection arriving as `origin` says, through
 * `ruleset` on the node `env` describes. Never throws: input that cannot be traced gives no
 * branches and a note saying why.
 */
export function trace(ruleset: Ruleset, packet: Packet, origin: Origin, env: TraceEnv): TraceResult {
  const notes: string[] = [];
  const src = toAddr(packet.src);
  const dst = toAddr(packet.dst);
  const empty = (why: string): TraceResult => ({ origin, packet, branches: [], notes: [why] });
  if (!src) return empty(`The source "${packet.src}" is not an IP address, so the packet cannot be traced.`);
  if (!dst) return empty(`The destination "${packet.dst}" is not an IP address, so the packet cannot be traced.`);
  if (src.family !== dst.family) return empty(`The source ${packet.src} and the destination ${packet.dst} are of different IP families, so no such packet exists.`);
  if (!Number.isInteger(packet.dport) || packet.dport < 0 || packet.dport > 65535) return empty(`The destination port ${packet.dport} is not a port number (0 to 65535).`);
  if (origin.kind === 'pod') {
    if (isLoopback(packet.dst)) return empty(`A pod's ${packet.dst} is its own loopback interface: the packet never leaves the pod, so the node's rules never see it.`);
    if (origin.podIP !== packet.src) notes.push(`The packet's source ${packet.src} is not the pod's address ${origin.podIP}; the trace uses the packet's source.`);
  }
  if (src.family !== ruleset.family) {
    notes.push(`The packet is ${src.family === 'ipv4' ? 'IPv4' : 'IPv6'} but the rules are ${ruleset.family === 'ipv4' ? 'IPv4 (iptables-save)' : 'IPv6 (ip6tables-save)'}; the kernel would walk the other family's rules, so no address match here can hold.`);
  }
  const run: Run = {
    tables: indexOf(ruleset),
    env,
    family: src.family,
    packet,
    origAddr: { src, dst },
    origin,
    notes,
    noted: new Set(notes),
    branches: [],
    forks: 0,
    lost: 0,
  };
  const flow: Flow = {
    prob: 1,
    path: '',
    steps: [],
    src: packet.src,
    dst: packet.dst,
    srcAddr: src,
    dstAddr: dst,
    dport: packet.dport,
    mark: 0,
    ctmark: 0,
    dnat: false,
    snat: false,
    srcIsNode: false,
    untracked: false,
    dstManipDone: false,
    srcManipDone: false,
    forceLocal: false,
    recent: [],
  };
  if (origin.kind === 'node') fromNode(run, flow);
  else fromOutside(run, flow);
  if (run.lost > 0) {
    const shown = Math.round((1 - run.lost) * 1000) / 10;
    note(run, `The trace stopped splitting at ${MAX_BRANCHES} branches (-m statistic); past that it followed the more likely side of each split, so the branches shown cover ${shown}% of such packets.`);
  }
  const branches = run.branches
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((b) => b.branch);
  return { origin, packet, branches, notes };
}
