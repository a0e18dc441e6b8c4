/**
 * Pure half of `hostnet lab bench`: the article's performance table as data, percentiles of round
 * trips, iperf3's JSON read into a throughput, the ratios to host → host, and the report as text
 * (this machine beside the article) and as JSON. bench.ts measures; nothing here touches the system.
 */

/** The paths the bench measures, baseline first. */
export type PathId = 'host' | 'hostNetwork' | 'podToPod' | 'hostPort' | 'clusterIP';

export interface PathInfo {
  readonly id: PathId;
  readonly label: string;
  /** What the packets cross, for the reader who wants to know what was measured. */
  readonly what: string;
}

export const PATHS: readonly PathInfo[] = [
  { id: 'host', label: 'host → host', what: 'two namespaces joined by one veth: the bare-host baseline' },
  { id: 'hostNetwork', label: 'hostNetwork → hostNetwork', what: "one node's namespace to the other's over the fabric bridge" },
  { id: 'podToPod', label: 'pod → pod across nodes (CNI)', what: 'veth, cni0, host-gw route, fabric, route, cni0, veth' },
  { id: 'hostPort', label: 'pod → hostPort on the other node', what: "the other node's IP; portmap DNAT there to the pod" },
  { id: 'clusterIP', label: 'pod → ClusterIP', what: "kube-proxy DNAT on the client's node to the only endpoint, a pod on the other node" },
];

export const pathInfo = (id: PathId): PathInfo => PATHS.find((p) => p.id === id)!;

export interface ArticleRow {
  /** As the article writes it. */
  readonly mode: string;
  /** An English gloss of `mode`. */
  readonly english: string;
  /** The path of this bench that measures the same thing. */
  readonly matches: PathId;
  readonly gbps: number;
  readonly latencyMs: number;
  readonly cpuPercent: number;
}

/**
 * The table of the seed article (Chinese; "示例数据" = sample data, "基于 Calico CNI 的测试环境" =
 * a Calico test environment). It names iperf3 for throughput and gives no method for latency or CPU.
 */
export const ARTICLE = {
  title: 'Kubernetes 中 hostNetwork 的深度解析:使用场景、最佳实践与避坑指南, §1.2 性能对比测试',
  file: 'seeds/000_96fed4c17e4ad197.txt',
  lines: '33–44',
  note: 'labelled sample data (示例数据) from a Calico test environment; iperf3 is named for throughput, no method is given for latency or CPU',
  rows: [
    { mode: '默认 CNI', english: 'default CNI', matches: 'podToPod', gbps: 9.2, latencyMs: 0.15, cpuPercent: 12 },
    { mode: 'hostNetwork', english: 'hostNetwork', matches: 'hostNetwork', gbps: 9.8, latencyMs: 0.08, cpuPercent: 6 },
    { mode: '主机直接通信', english: 'host direct', matches: 'host', gbps: 9.9, latencyMs: 0.05, cpuPercent: 3 },
  ] satisfies readonly ArticleRow[],
} as const;

export interface Throughput {
  /** What the receiver got, in Gbit/s (the omitted first second left out). */
  readonly gbps: number;
  readonly retransmits?: number;
  /** iperf3's own CPU use on each side (user + system of that process), in percent of one CPU. */
  readonly senderCpuPercent?: number;
  readonly receiverCpuPercent?: number;
}

/** Round-trip times in microseconds. */
export interface Latency {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
}

export interface PathMeasurement {
  readonly id: PathId;
  /** The client's namespace and address. */
  readonly from: string;
  /** The address the client dials (iperf3's port; the latency server's port is in `latencyTo`). */
  readonly to: string;
  readonly latencyTo?: string;
  readonly throughput?: Throughput;
  readonly latency?: Latency;
  /** Why something of this path was not measured, as sentences. */
  readonly problems: readonly string[];
}

export interface BenchSettings {
  readonly seconds: number;
  readonly roundTrips: number;
  readonly warmUp: number;
  readonly messageBytes: number;
  /** CPUs this machine has; client and server are never pinned. */
  readonly cpus: number;
  /** The 1-minute load average when the run began: other work on the machine skews every number. */
  readonly loadAverage?: number;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** x / base to two decimals; undefined when either is missing or base is not positive. */
export function ratio(x: number | undefined, base: number | undefined): number | undefined {
  if (x === undefined || base === undefined || !(base > 0) || !Number.isFinite(x)) return undefined;
  return round(x / base, 2);
}

/** Nearest-rank percentile (the smallest sample with at least p of all samples at or below it) of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50/p90/p99/mean of round trips in µs, to 0.1 µs; undefined for no samples or a sample that is not a positive number. */
export function latencyOf(samplesUs: readonly number[]): Latency | undefined {
  if (samplesUs.length === 0 || samplesUs.some((x) => !(x > 0) || !Number.isFinite(x))) return undefined;
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: round(percentile(sorted, 0.5), 1), p90: round(percentile(sorted, 0.9), 1), p99: round(percentile(sorted, 0.99), 1), mean: round(mean, 1) };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Read `iperf3 -c … -J` output: the receiver's rate, retransmits and CPU use, or a sentence saying what went wrong. */
export function parseIperf3(text: string): Throughput | { problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const first = text.trim().split('\n')[0] ?? '';
    return { problem: `iperf3 did not print JSON${first ? ` (it printed "${first.slice(0, 120)}")` : ' (it printed nothing)'}.` };
  }
  const top = obj(doc);
  if (typeof top['error'] === 'string') return { problem: `iperf3 reported: ${top['error']}.` };
  const end = obj(top['end']);
  const received = num(obj(end['sum_received'])['bits_per_second']);
  if (received === undefined || received <= 0) return { problem: 'iperf3 reported no received data rate (end.sum_received.bits_per_second).' };
  const retransmits = num(obj(end['sum_sent'])['retransmits']);
  const cpu = obj(end['cpu_utilization_percent']);
  const sender = num(cpu['host_total']);
  const receiver = num(cpu['remote_total']);
  return {
    gbps: round(received / 1e9, 2),
    ...(retransmits !== undefined ? { retransmits } : {}),
    ...(sender !== undefined ? { senderCpuPercent: round(sender, 1) } : {}),
    ...(receiver !== undefined ? { receiverCpuPercent: round(receiver, 1) } : {}),
  };
}

export interface ReportPath {
  readonly id: PathId;
  readonly label: string;
  readonly what: string;
  readonly from: string;
  readonly to: string;
  readonly latencyTo?: string;
  readonly gbps?: number;
  readonly gbpsToHost?: number;
  readonly retransmits?: number;
  readonly senderCpuPercent?: number;
  readonly receiverCpuPercent?: number;
  readonly latencyUs?: Latency;
  readonly latencyToHost?: { readonly p50?: number; readonly p90?: number; readonly p99?: number };
  readonly problems: readonly string[];
}

export interface ReportArticleRow extends ArticleRow {
  readonly gbpsToHost: number;
  readonly latencyToHost: number;
  readonly cpuToHost: number;
}

export interface BenchReport {
  readonly version: 1;
  readonly settings: BenchSettings;
  readonly paths: readonly ReportPath[];
  readonly article: { readonly title: string; readonly file: string; readonly lines: string; readonly note: string; readonly rows: readonly ReportArticleRow[] };
  readonly reading: readonly string[];
  readonly ok: boolean;
  /** Wall-clock time of the whole run (lab build, measurements, teardown), when known. */
  readonly durationMs?: number;
  readonly lab?: BenchLabInfo;
}

/** The lab the run built: its id, how many namespaces, and how long building and teardown took. */
export interface BenchLabInfo {
  readonly id: string;
  readonly namespaces: number;
  readonly upMs: number;
  readonly downMs: number;
}

function articleRows(): ReportArticleRow[] {
  const host = ARTICLE.rows.find((r) => r.matches === 'host')!;
  return ARTICLE.rows.map((r) => ({ ...r, gbpsToHost: ratio(r.gbps, host.gbps)!, latencyToHost: ratio(r.latencyMs, host.latencyMs)!, cpuToHost: ratio(r.cpuPercent, host.cpuPercent)! }));
}

const fmtRatio = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(2)}×`);

/** Sentences that read the numbers: what compares, what does not, and why. */
function readingOf(paths: readonly ReportPath[], settings: BenchSettings, rows: readonly ReportArticleRow[]): string[] {
  const get = (id: PathId): ReportPath | undefined => paths.find((p) => p.id === id);
  const art = (id: PathId): ReportArticleRow => rows.find((r) => r.matches === id)!;
  const out: string[] = [];
  out.push(
    "The absolute numbers are not comparable: the article's come from a Calico test environment whose throughput tops out just under 10 Gbit/s, " +
      'the mark of a 10 Gbit/s network card, while every path here is veths and bridges inside one machine, where throughput is bounded by CPU, not by a wire. ' +
      'The ratios to host → host are the comparable part.',
  );
  const pod = get('podToPod');
  const hn = get('hostNetwork');
  if (pod?.gbpsToHost !== undefined && hn?.gbpsToHost !== undefined) {
    out.push(
      `Throughput: the article has the CNI at ${fmtRatio(art('podToPod').gbpsToHost)} and hostNetwork at ${fmtRatio(art('hostNetwork').gbpsToHost)} of host direct; ` +
        `here pod → pod is ${fmtRatio(pod.gbpsToHost)} and hostNetwork ${fmtRatio(hn.gbpsToHost)} of host → host.`,
    );
  }
  if (pod?.latencyToHost?.p50 !== undefined && hn?.latencyToHost?.p50 !== undefined) {
    out.push(
      `Latency: the article has the CNI at ${fmtRatio(art('podToPod').latencyToHost)} and hostNetwork at ${fmtRatio(art('hostNetwork').latencyToHost)} of host direct; ` +
        `here the median round trip of pod → pod is ${fmtRatio(pod.latencyToHost.p50)} and of hostNetwork ${fmtRatio(hn.latencyToHost.p50)} of host → host.`,
    );
  }
  const nat = (['hostPort', 'clusterIP'] as const).map((id) => get(id)).filter((p): p is ReportPath => p !== undefined && p.gbps !== undefined);
  if (pod?.gbps !== undefined && nat.length > 0) {
    out.push(
      `The article has no rows for DNAT paths; here ${nat.map((p) => `${p.label} carries ${fmtRatio(ratio(p.gbps, pod.gbps))}`).join(' and ')} of pod → pod's throughput ` +
        '(on an established connection NAT is a conntrack lookup; its cost is paid per new connection).',
    );
  }
  out.push(
    `Client and server are not pinned to one CPU (the lab runs no taskset), so on this ${settings.cpus}-CPU machine a round trip usually includes ` +
      'waking the other side on another CPU; in a VM that costs tens of µs each way (lab README §8), the same on every path, which pulls the latency ratios toward 1.',
  );
  out.push(
    'Each path was measured once, one after the other; run-to-run spread on a machine like this is ±15–30 % for throughput (lab README §8), ' +
      'larger than most differences between neighbouring paths, so run the bench more than once before reading much into one ratio.',
  );
  if (settings.loadAverage !== undefined && settings.loadAverage > settings.cpus / 2) {
    out.push(`The machine was busy when the run began (load average ${settings.loadAverage.toFixed(1)} on ${settings.cpus} CPUs), which skews every number; an idle machine gives steadier ones.`);
  }
  out.push("The article's CPU column has no counterpart here: every path shares the same CPUs. iperf3's own CPU use per side is in the JSON output.");
  return out;
}

/** The report: this machine's paths with their ratios to host → host, and the article's rows with theirs. */
export function benchReport(measured: readonly PathMeasurement[], settings: BenchSettings, run: { durationMs?: number; lab?: BenchLabInfo } = {}): BenchReport {
  const host = measured.find((m) => m.id === 'host');
  const paths: ReportPath[] = PATHS.flatMap((info) => {
    const m = measured.find((x) => x.id === info.id);
    if (!m) return [];
    const t = m.throughput;
    const l = m.latency;
    const hl = host?.latency;
    return [{
      id: info.id, label: info.label, what: info.what, from: m.from, to: m.to, ...(m.latencyTo ? { latencyTo: m.latencyTo } : {}),
      ...(t ? { gbps: t.gbps, ...(ratio(t.gbps, host?.throughput?.gbps) !== undefined ? { gbpsToHost: ratio(t.gbps, host?.throughput?.gbps)! } : {}) } : {}),
      ...(t?.retransmits !== undefined ? { retransmits: t.retransmits } : {}),
      ...(t?.senderCpuPercent !== undefined ? { senderCpuPercent: t.senderCpuPercent } : {}),
      ...(t?.receiverCpuPercent !== undefined ? { receiverCpuPercent: t.receiverCpuPercent } : {}),
      ...(l ? { latencyUs: l } : {}),
      ...(l && hl ? { latencyToHost: { p50: ratio(l.p50, hl.p50), p90: ratio(l.p90, hl.p90), p99: ratio(l.p99, hl.p99) } } : {}),
      problems: m.problems,
    }];
  });
  const rows = articleRows();
  const ok = PATHS.every((info) => {
    const p = paths.find((x) => x.id === info.id);
    return p !== undefined && p.problems.length === 0 && p.gbps !== undefined && p.latencyUs !== undefined;
  });
  return {
    version: 1, settings, paths,
    article: { title: ARTICLE.title, file: ARTICLE.file, lines: ARTICLE.lines, note: ARTICLE.note, rows },
    reading: readingOf(paths, settings, rows), ok,
    ...(run.durationMs !== undefined ? { durationMs: Math.round(run.durationMs) } : {}),
    ...(run.lab ? { lab: run.lab } : {}),
  };
}

/** Terminal columns of a string: CJK ideographs and full-width forms take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ? 2 : 1;
  }
  return w;
}

const padEnd = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - displayWidth(s)));
const padStart = (s: string, w: number): string => ' '.repeat(Math.max(0, w - displayWidth(s))) + s;

/** Columns: text and whether it is right-aligned (numbers). */
function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (right[i] ? padStart(c, widths[i]!) : padEnd(c, widths[i]!))).join('  ').replace(/\s+$/, '');
  return [line(header), ...rows.map(line)];
}

const fmtGbps = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(1));
const fmtUs = (x: number | undefined): string => (x === undefined ? '—' : x < 100 ? x.toFixed(1) : x.toFixed(0));
const fmtX = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(2));

/** The report as text: one table with this machine on the left and the article's matching row on the right. */
export function renderBenchText(r: BenchReport): string {
  const s = r.settings;
  const out: string[] = [];
  out.push(`TCP throughput (iperf3, 1 stream, ${s.seconds} s after 1 s omitted) and request/response latency (${s.roundTrips} round trips of ${s.messageBytes} bytes, one outstanding, after ${s.warmUp} warm-up), this machine beside the article's table.`);
  out.push('×host = ratio to host → host here, to 主机直接通信 (host direct) in the article; latency ratios are of the median.');
  out.push('');
  const header = ['path', 'Gbit/s', '×host', 'p50 µs', 'p90 µs', 'p99 µs', '×host', '│', 'article row', 'Gbit/s', '×host', 'ms', '×host', 'CPU', '×host'];
  const right = [false, true, true, true, true, true, true, false, false, true, true, true, true, true, true];
  const rows = r.paths.map((p) => {
    const a = r.article.rows.find((x) => x.matches === p.id);
    const article = a
      ? [a.mode === a.english ? a.mode : `${a.mode} (${a.english})`, a.gbps.toFixed(1), fmtX(a.gbpsToHost), a.latencyMs.toFixed(2), fmtX(a.latencyToHost), `${a.cpuPercent}%`, fmtX(a.cpuToHost)]
      : ['—', '', '', '', '', '', ''];
    return [p.label, fmtGbps(p.gbps), fmtX(p.gbpsToHost), fmtUs(p.latencyUs?.p50), fmtUs(p.latencyUs?.p90), fmtUs(p.latencyUs?.p99), fmtX(p.latencyToHost?.p50), '│', ...article];
  });
  out.push(...table(header, rows, right));
  out.push('');
  out.push(`The article: ${r.article.file} lines ${r.article.lines}, ${r.article.note}.`);
  out.push('');
  out.push('What was measured:');
  for (const p of r.paths) out.push(`  ${p.label}: ${p.what}; ${p.from} → ${p.to}${p.latencyTo ? ` (latency: ${p.latencyTo})` : ''}.`);
  const failed = r.paths.filter((p) => p.problems.length > 0);
  if (failed.length > 0) {
    out.push('');
    out.push('Not measured:');
    for (const p of failed) for (const why of p.problems) out.push(`  ${p.label}: ${why}`);
  }
  out.push('');
  out.push('Reading:');
  for (const sentence of r.reading) out.push(`  ${sentence}`);
  if (r.durationMs !== undefined || r.lab) {
    out.push('');
    const lab = r.lab ? ` Lab ${r.lab.id}: ${r.lab.namespaces} network namespaces, built in ${(r.lab.upMs / 1000).toFixed(1)} s, torn down in ${(r.lab.downMs / 1000).toFixed(1)} s.` : '';
    out.push(`${r.durationMs !== undefined ? `The whole run took ${(r.durationMs / 1000).toFixed(1)} s.` : ''}${lab}`.trim());
  }
  return `${out.join('\n')}\n`;
}

export const renderBenchJson = (r: BenchReport): string => `${JSON.stringify(r, null, 2)}\n`;
