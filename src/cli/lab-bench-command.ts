/**
 * `hostnet lab bench`: measure throughput and latency over five paths in a lab built for the run,
 * beside the article's table. The result alone goes to stdout; progress goes to stderr (one line
 * that updates itself on a terminal, plain lines otherwise).
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { renderBenchJson, renderBenchText } from '../lab/bench-report.js';
import { runBench, type BenchProgress } from '../lab/bench.js';
import { labUnavailable, missingTools } from '../lab/exec.js';
import { EXIT } from './exit-codes.js';

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);

/** Progress on stderr: a line redrawn every 200 ms with the step's elapsed time on a TTY, one line per event otherwise. */
function progressReporter(tty: boolean): { onProgress: (p: BenchProgress) => void; stop: () => void } {
  if (!tty) {
    return {
      onProgress: (p) => err(`hostnet lab bench: [${p.step}/${p.total}] ${p.text}${p.kind === 'done' && p.result ? `: ${p.result}` : ''}\n`),
      stop: () => undefined,
    };
  }
  let current: BenchProgress | undefined;
  let since = performance.now();
  let last = '';
  const draw = (): void => {
    if (!current) return;
    const secs = ((performance.now() - since) / 1000).toFixed(1);
    const line = `[${current.step}/${current.total}] ${current.text} … ${secs} s`;
    const width = (process.stderr.columns ?? 100) - 1;
    // The last result only when it fits whole: a cut-off number would mislead.
    const withLast = last ? `${line}   (${last})` : line;
    err(`\r\x1b[K${withLast.length <= width ? withLast : line.slice(0, width)}`);
  };
  const timer = setInterval(draw, 200);
  timer.unref();
  return {
    onProgress: (p) => {
      if (p.kind === 'start') {
        current = p;
        since = performance.now();
      } else if (p.result) last = `${p.text}: ${p.result}`;
      draw();
    },
    stop: () => {
      clearInterval(timer);
      err('\r\x1b[K');
    },
  };
}

function positiveInt(name: string, value: string, min: number, max: number): number | string {
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : `--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}.`;
}

export async function runLabBench(flags: { seconds: string; roundTrips: string; output: string }): Promise<number> {
  const seconds = positiveInt('seconds', flags.seconds, 1, 600);
  const roundTrips = positiveInt('round-trips', flags.roundTrips, 10, 1_000_000);
  const format = flags.output;
  for (const bad of [seconds, roundTrips]) if (typeof bad === 'string') { err(`hostnet lab bench: ${bad}\n`); return EXIT.usage; }
  if (format !== 'text' && format !== 'json') {
    err(`hostnet lab bench: -o must be text or json, not ${JSON.stringify(format)}.\n`);
    return EXIT.usage;
  }
  const why = labUnavailable() ?? missingTools(['iperf3'])[0];
  if (why) {
    err(`hostnet lab bench: ${why}\n`);
    return EXIT.usage;
  }
  const labId = `b${randomBytes(4).toString('hex').slice(0, 6)}`;
  const progress = progressReporter(process.stderr.isTTY === true);
  let run;
  try {
    run = await runBench({ labId, seconds: seconds as number, roundTrips: roundTrips as number, onProgress: progress.onProgress });
  } finally {
    progress.stop();
  }
  if (run.ok || run.report) {
    const report = run.ok ? run.report : run.report!;
    out(format === 'json' ? renderBenchJson(report) : renderBenchText(report));
  }
  if (!run.ok) {
    for (const p of run.problems) err(`hostnet lab bench: ${p}\n`);
    return EXIT.findings;
  }
  return EXIT.ok;
}

/** `hostnet lab bench`; lab-command.ts calls this with the `lab` group. */
export function defineLabBench(lab: Command, setExit: (code: number) => void): void {
  lab.command('bench')
    .summary("measure TCP throughput and latency of pod, hostNetwork, hostPort, ClusterIP and host paths beside the article's table (root only)")
    .description(
      'Build a temporary lab (two workers of the embedded cluster, a client pod on one, a server pod with hostPorts behind a ClusterIP Service on the other, '
      + 'and two namespaces joined by one veth as the host → host baseline), measure each path with iperf3 (one TCP stream) and a request/response '
      + 'ping-pong (one outstanding 64-byte message), print the numbers and their ratios to host → host beside the article\'s table, and tear the lab down. '
      + 'Exit 0 when every path was measured, 1 when a path was not measured or the lab could not be built (it says which and why), 2 when the lab cannot run here (not root, a program missing).',
    )
    .option('--seconds <n>', 'iperf3 seconds per path, after one omitted second', '3')
    .option('--round-trips <n>', 'timed round trips per path (a tenth more, at least 50 and at most 2000, go first as warm-up)', '5000')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: { seconds: string; roundTrips: string; output: string }) => setExit(await runLabBench(flags)));
}
