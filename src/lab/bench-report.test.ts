import { describe, expect, it } from 'vitest';
import {
  ARTICLE, benchReport, displayWidth, latencyOf, parseIperf3, PATHS, percentile, ratio, renderBenchJson, renderBenchText,
  type BenchSettings, type PathId, type PathMeasurement,
} from './bench-report.js';

const SETTINGS: BenchSettings = { seconds: 3, roundTrips: 5000, warmUp: 500, messageBytes: 64, cpus: 2 };

const measured = (id: PathId, gbps: number, p50: number, extra: Partial<PathMeasurement> = {}): PathMeasurement => ({
  id, from: `hnlab-x-${id} (10.0.0.1)`, to: '10.0.0.2:5201', latencyTo: '10.0.0.2:7000',
  throughput: { gbps, retransmits: 0, senderCpuPercent: 90, receiverCpuPercent: 40 },
  latency: { n: 5000, p50, p90: p50 * 1.5, p99: p50 * 3, mean: p50 * 1.1 }, problems: [], ...extra,
});

const ALL: PathMeasurement[] = [
  measured('host', 20, 80), measured('hostNetwork', 16, 100), measured('podToPod', 14, 120), measured('hostPort', 13, 125), measured('clusterIP', 12.6, 121),
];

describe('ratio', () => {
  it.each([
    [14, 20, 0.7],
    [9.2, 9.9, 0.93],
    [0.15, 0.05, 3],
    [1, 3, 0.33],
    [2, 3, 0.67],
    [5, 0, undefined],
    [5, -1, undefined],
    [undefined, 1, undefined],
    [1, undefined, undefined],
    [NaN, 1, undefined],
  ] as const)('%s / %s → %s', (x, base, want) => {
    expect(ratio(x, base)).toBe(want);
  });
});

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    [hundred, 0.5, 50],
    [hundred, 0.9, 90],
    [hundred, 0.99, 99],
    [hundred, 1, 100],
    [hundred, 0, 1],
    [[7], 0.99, 7],
    [[1, 2, 3], 0.5, 2],
    [[1, 2, 3, 4], 0.5, 2],
    [[10, 20], 0.9, 20],
  ] as const)('%#: p%s', (sorted, p, want) => {
    expect(percentile(sorted, p)).toBe(want);
  });
  it('is NaN for no samples', () => expect(percentile([], 0.5)).toBeNaN());
});

describe('latencyOf', () => {
  it('sorts, takes p50/p90/p99 and the mean, to 0.1 µs', () => {
    const shuffled = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1.04);
    expect(latencyOf(shuffled)).toEqual({ n: 100, p50: 50, p90: 90, p99: 99, mean: 50.5 });
  });
  it.each([[[]], [[1, 0]], [[1, -2]], [[1, NaN]], [[1, Infinity]]])('refuses %j', (samples) => {
    expect(latencyOf(samples)).toBeUndefined();
  });
});

const IPERF_OK = JSON.stringify({
  start: { test_start: { duration: 3, omit: 1 } },
  end: {
    sum_sent: { bits_per_second: 15_300_000_000, retransmits: 2 },
    sum_received: { bits_per_second: 15_234_567_890 },
    cpu_utilization_percent: { host_total: 98.7654, remote_total: 41.26 },
  },
});

describe('parseIperf3', () => {
  it.each([
    ['a normal run', IPERF_OK, { gbps: 15.23, retransmits: 2, senderCpuPercent: 98.8, receiverCpuPercent: 41.3 }],
    ['no CPU figures', JSON.stringify({ end: { sum_received: { bits_per_second: 9.9e9 } } }), { gbps: 9.9 }],
    ['an iperf3 error', JSON.stringify({ start: {}, intervals: [], end: {}, error: 'unable to connect to server: Connection refused' }), { problem: 'iperf3 reported: unable to connect to server: Connection refused.' }],
    ['no received rate', JSON.stringify({ end: { sum_sent: { bits_per_second: 1e9 } } }), { problem: 'iperf3 reported no received data rate (end.sum_received.bits_per_second).' }],
    ['a zero rate', JSON.stringify({ end: { sum_received: { bits_per_second: 0 } } }), { problem: 'iperf3 reported no received data rate (end.sum_received.bits_per_second).' }],
    ['plain text', 'iperf3: error - unable to connect\n', { problem: 'iperf3 did not print JSON (it printed "iperf3: error - unable to connect").' }],
    ['nothing', '', { problem: 'iperf3 did not print JSON (it printed nothing).' }],
  ])('%s', (_name, text, want) => {
    expect(parseIperf3(text)).toEqual(want);
  });
});

describe('benchReport', () => {
  it('gives each path its ratio to host → host, in the fixed path order', () => {
    const r = benchReport([...ALL].reverse(), SETTINGS);
    expect(r.paths.map((p) => p.id)).toEqual(PATHS.map((p) => p.id));
    expect(r.paths.map((p) => [p.id, p.gbpsToHost, p.latencyToHost?.p50])).toEqual([
      ['host', 1, 1], ['hostNetwork', 0.8, 1.25], ['podToPod', 0.7, 1.5], ['hostPort', 0.65, 1.56], ['clusterIP', 0.63, 1.51],
    ]);
    expect(r.paths[2]!.latencyToHost).toEqual({ p50: 1.5, p90: 1.5, p99: 1.5 });
    expect(r.ok).toBe(true);
  });

  it("keeps the article's numbers and their ratios to 主机直接通信", () => {
    const r = benchReport(ALL, SETTINGS);
    expect(r.article.file).toBe('seeds/000_96fed4c17e4ad197.txt');
    expect(r.article.lines).toBe('33–44');
    expect(r.article.rows.map((a) => [a.mode, a.matches, a.gbps, a.gbpsToHost, a.latencyMs, a.latencyToHost, a.cpuPercent, a.cpuToHost])).toEqual([
      ['默认 CNI', 'podToPod', 9.2, 0.93, 0.15, 3, 12, 4],
      ['hostNetwork', 'hostNetwork', 9.8, 0.99, 0.08, 1.6, 6, 2],
      ['主机直接通信', 'host', 9.9, 1, 0.05, 1, 3, 1],
    ]);
    expect(ARTICLE.rows).toHaveLength(3);
  });

  it('reads the ratios in sentences computed from the numbers', () => {
    const reading = benchReport(ALL, SETTINGS).reading.join('\n');
    expect(reading).toContain('here pod → pod is 0.70× and hostNetwork 0.80× of host → host');
    expect(reading).toContain('the article has the CNI at 3.00× and hostNetwork at 1.60× of host direct');
    expect(reading).toContain('median round trip of pod → pod is 1.50× and of hostNetwork 1.25×');
    expect(reading).toContain('pod → hostPort on the other node carries 0.93× and pod → ClusterIP carries 0.90× of pod → pod');
    expect(reading).toContain('on this 2-CPU machine');
    expect(reading).toContain('The ratios to host → host are the comparable part.');
    expect(reading).not.toContain('busy');
  });

  it.each([
    [0.4, false],
    [1, false],
    [1.2, true],
  ])('says the machine was busy at load average %s on 2 CPUs: %s', (loadAverage, busy) => {
    const reading = benchReport(ALL, { ...SETTINGS, loadAverage }).reading.join('\n');
    expect(reading.includes(`The machine was busy when the run began (load average ${loadAverage.toFixed(1)} on 2 CPUs)`)).toBe(busy);
  });

  it('has no ratios without a host → host measurement, and is not ok when a path failed or is missing', () => {
    const noHost = benchReport(ALL.filter((m) => m.id !== 'host'), SETTINGS);
    expect(noHost.ok).toBe(false);
    expect(noHost.paths.every((p) => p.gbpsToHost === undefined && p.latencyToHost === undefined)).toBe(true);
    expect(noHost.reading.join(' ')).not.toContain('Throughput:');

    const failed = ALL.map((m) => (m.id === 'clusterIP' ? { id: m.id, from: m.from, to: m.to, problems: ['Throughput: iperf3 reported: boom.'] } : m));
    const r = benchReport(failed, SETTINGS);
    expect(r.ok).toBe(false);
    expect(r.paths.find((p) => p.id === 'clusterIP')).toMatchObject({ problems: ['Throughput: iperf3 reported: boom.'] });
    expect(r.paths.find((p) => p.id === 'clusterIP')!.gbps).toBeUndefined();
  });

  it('serialises to one JSON object with a stable shape', () => {
    const r = benchReport(ALL, SETTINGS, { durationMs: 41234.5, lab: { id: 'b1', namespaces: 9, upMs: 230, downMs: 120 } });
    const parsed = JSON.parse(renderBenchJson(r)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['version', 'settings', 'paths', 'article', 'reading', 'ok', 'durationMs', 'lab']);
    expect(parsed['version']).toBe(1);
    expect(parsed['durationMs']).toBe(41235);
    expect(parsed['settings']).toEqual(SETTINGS);
    const pod = (parsed['paths'] as Record<string, unknown>[])[2]!;
    expect(Object.keys(pod)).toEqual([
      'id', 'label', 'what', 'from', 'to', 'latencyTo', 'gbps', 'gbpsToHost', 'retransmits', 'senderCpuPercent', 'receiverCpuPercent', 'latencyUs', 'latencyToHost', 'problems',
    ]);
    expect(pod['latencyUs']).toEqual({ n: 5000, p50: 120, p90: 180, p99: 360, mean: 132 });
  });
});

describe('displayWidth', () => {
  it.each([['abc', 3], ['主机直接通信', 12], ['默认 CNI', 8], ['µs ×host → │', 12], ['', 0]] as const)('%s → %s', (s, w) => {
    expect(displayWidth(s)).toBe(w);
  });
});

describe('renderBenchText', () => {
  const text = renderBenchText(benchReport(ALL, SETTINGS, { durationMs: 41_200, lab: { id: 'b1', namespaces: 9, upMs: 230, downMs: 120 } }));
  const lines = text.split('\n');
  const row = (label: string): string => lines.find((l) => l.startsWith(label))!;

  it("puts the article's matching row beside this machine's", () => {
    expect(row('host → host')).toMatch(/^host → host\s+20\.0\s+1\.00\s+80\.0\s+120\s+240\s+1\.00\s+│\s+主机直接通信 \(host direct\)\s+9\.9\s+1\.00\s+0\.05\s+1\.00\s+3%\s+1\.00$/);
    expect(row('hostNetwork')).toMatch(/^hostNetwork → hostNetwork\s+16\.0\s+0\.80\s+100\s+150\s+300\s+1\.25\s+│\s+hostNetwork\s+9\.8\s+0\.99\s+0\.08\s+1\.60\s+6%\s+2\.00$/);
    expect(row('pod → pod')).toMatch(/│\s+默认 CNI \(default CNI\)\s+9\.2\s+0\.93\s+0\.15\s+3\.00\s+12%\s+4\.00$/);
    expect(row('pod → hostPort')).toMatch(/│\s+—$/);
    expect(row('pod → ClusterIP')).toMatch(/^pod → ClusterIP\s+12\.6\s+0\.63\s+121\s+182\s+363\s+1\.51\s+│\s+—$/);
  });

  it('aligns the columns by display width, CJK counted double', () => {
    const table = lines.filter((l) => l.includes('│'));
    expect(table).toHaveLength(1 + PATHS.length);
    const barAt = table.map((l) => displayWidth(l.slice(0, l.indexOf('│'))));
    expect(new Set(barAt).size).toBe(1);
    const ends = table.filter((l) => !l.endsWith('—')).map(displayWidth);
    expect(new Set(ends).size).toBe(1);
  });

  it('cites the source, explains what was measured, reads the numbers and says how long it took', () => {
    expect(text).toContain('The article: seeds/000_96fed4c17e4ad197.txt lines 33–44, labelled sample data (示例数据)');
    expect(text).toContain('  pod → ClusterIP: kube-proxy DNAT');
    expect(text).toContain('Reading:\n  The absolute numbers are not comparable');
    expect(text).toContain('The whole run took 41.2 s. Lab b1: 9 network namespaces, built in 0.2 s, torn down in 0.1 s.');
    expect(text).not.toContain('Not measured');
  });

  it('lists what was not measured and why, and prints — for it', () => {
    const failed = ALL.map((m) => (m.id === 'hostPort' ? { id: m.id, from: m.from, to: m.to, problems: ['Latency: The latency client failed: connecting to 192.168.10.12:17000: ETIMEDOUT.'] } : m));
    const t = renderBenchText(benchReport(failed, SETTINGS));
    expect(t).toContain('Not measured:\n  pod → hostPort on the other node: Latency: The latency client failed: connecting to 192.168.10.12:17000: ETIMEDOUT.');
    expect(t.split('\n').find((l) => l.startsWith('pod → hostPort'))).toMatch(/^pod → hostPort on the other node\s+—\s+—\s+—\s+—\s+—\s+—\s+│\s+—$/);
  });
});
