/**
 * `hostnet lab up|status|doctor|down|cleanup` end to end through the built binary, as a user runs
 * it: exit codes, what it prints, and that nothing is left afterwards. The kernel part runs only
 * as root with the tools present; the usage errors and the not-root path run wherever root can
 * drop to an unprivileged user (the not-root path needs root to start from, too).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailable, listLabNetns, missingTools, rootFingerprint } from '../../src/lab/exec.js';
import { labDown, readState } from '../../src/lab/lab.js';
import { BIN, buildDist, fingerprintChange, labIdFor, labInodes, leftovers, probe, processNetns, ROOT, STATE_DIR } from './lab-test-kit.js';
import { onlyLab } from '../../src/cli/lab-command.js';

const skip = probe();

/** Two pods with a port each, so `lab up` starts servers and `lab down` has processes to stop. */
const MANIFEST_DIR = mkdtempSync(join(tmpdir(), 'hostnet-lab-cli-'));
const MANIFEST = join(MANIFEST_DIR, 'web.yaml');
afterAll(() => rmSync(MANIFEST_DIR, { recursive: true, force: true }));
writeFileSync(MANIFEST, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
`);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Run the binary; `as` drops to another user first (setpriv, from util-linux). */
function hostnet(args: readonly string[], as?: { uid: number; gid: number }): Run {
  const argv = [process.execPath, BIN, ...args];
  const [cmd, ...rest] = as ? ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd!, rest, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : ''), ms: Math.round(performance.now() - t0) };
}

/** What a command wrote to stderr besides notes: the problems it reported. */
const problemsIn = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('note: '));

/** `nobody`, when this process is root and setpriv can become it and still run node on the built files. */
function unprivileged(): { uid: number; gid: number } | string {
  if (process.getuid?.() !== 0) return 'not root, so it cannot switch to another user';
  const who = { uid: 65534, gid: 65534 };
  const r = spawnSync('setpriv', [`--reuid=${who.uid}`, `--regid=${who.gid}`, '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(BIN)}); process.exit(process.getuid() === ${who.uid} ? 0 : 1)`], { encoding: 'utf8' });
  return r.status === 0 ? who : `cannot run the built binary as UID ${who.uid}: ${(r.stderr || String(r.error)).trim()}`;
}

describe.skipIf(skip !== undefined)(`hostnet lab on the real kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(buildDist, 180_000);

  it('up, status, status -o json, doctor, down: exit codes, output, and nothing left', { timeout: 90_000 }, async () => {
    const labId = labIdFor('c', 'u');
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    let inodes = new Set<number>();
    let left: string[] = [];
    try {
      const up = hostnet(['lab', 'up', '--id', labId, MANIFEST]);
      expect(problemsIn(up.stderr)).toEqual([]);
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(new RegExp(`^Lab ${labId} is up: cluster \\S+, \\d+ nodes, .* in [\\d.]+ ms`));
      const state = readState(labId, STATE_DIR)!;
      expect(state.phase).toBe('up');
      expect(state.detached).toBe(true);
      inodes = labInodes(labId);
      const servers = processNetns().filter((p) => inodes.has(p.ino));
      expect(servers.length).toBeGreaterThanOrEqual(2); // the pods' servers outlive `lab up`
      // Every namespace it prints exists, and every node of the state file is printed.
      const printed = [...new Set(up.stdout.match(new RegExp(`hnlab-${labId}-[a-z0-9-]+`, 'g')) ?? [])];
      const live = listLabNetns();
      expect(printed.length).toBeGreaterThan(0);
      for (const ns of printed) expect(live, ns).toContain(ns);
      for (const line of up.stdout.split('\n').filter((l) => l.startsWith('  node '))) expect(line).toMatch(new RegExp(` hnlab-${labId}-[a-z0-9-]+ `));
      console.log(`lab-cli up ${labId}: the command took ${up.ms} ms; it reports ${/in ([\d.]+) ms/.exec(up.stdout)?.[1]} ms for labUp (${state.namespaces.length} namespaces)`);

      const status = hostnet(['lab', 'status']);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`^${labId}  up  cluster \\S+  ${state.namespaces.length}/${state.namespaces.length} namespaces live  owner ${state.ownerPid}  since `, 'm'));

      const json = hostnet(['lab', 'status', '-o', 'json']);
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as { version: number; labs: { labId: string; phase?: string; detached: boolean; ownerAlive: boolean; liveNamespaces: number; recordedNamespaces: number }[] };
      expect(parsed.version).toBe(1);
      expect(parsed.labs.find((l) => l.labId === labId)).toMatchObject({ phase: 'up', detached: true, ownerAlive: false, liveNamespaces: state.namespaces.length, recordedNamespaces: state.namespaces.length });

      // A detached lab whose `lab up` has exited is healthy. Other test files may have leftovers
      // of their own for a moment, so the exit code is checked against the whole list.
      const doctorJson = hostnet(['lab', 'doctor', '-o', 'json']);
      const found = (JSON.parse(doctorJson.stdout) as { leftovers: { labId?: string; what: string }[] }).leftovers;
      expect(found.filter((l) => l.labId === labId)).toEqual([]);
      expect(doctorJson.code).toBe(found.length === 0 ? 0 : 1);
      const doctor = hostnet(['lab', 'doctor']);
      expect(doctor.stdout).not.toContain(labId);
      // cleanup --all removes leftovers only: this lab was left up on purpose and stays.
      const all = hostnet(['lab', 'cleanup', '--all']);
      expect(all.stdout).not.toContain(labId);
      expect(readState(labId, STATE_DIR)?.phase).toBe('up');
      expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`)).length).toBe(state.namespaces.length);
      if (found.length === 0) {
        expect(doctor.code).toBe(0);
        expect(doctor.stdout).toBe('No lab leftovers: no stray hnlab-* namespace, /etc/netns entry or state file.\n');
      }

      // A second lab with the same id is refused, and the first is untouched.
      const again = hostnet(['lab', 'up', '--id', labId]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`A lab with id ${labId} already exists`);
      expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`))).toHaveLength(state.namespaces.length);

      // verify --id refuses other manifests than the lab was built from, with a sentence.
      const other = hostnet(['lab', 'verify', '--id', labId, join(ROOT, 'examples', 'seed-danger-pod.yaml')]);
      expect(other.code).toBe(2);
      expect(other.stderr).toContain(`hostnet lab: Lab ${labId} was built from ${MANIFEST}, not from what this command names; leave out the paths to verify it as built.`);

      const down = hostnet(['lab', 'down', labId]);
      expect(problemsIn(down.stderr)).toEqual([]);
      expect(down.code).toBe(0);
      expect(down.stdout).toMatch(new RegExp(`^Lab ${labId} is down: ${state.namespaces.length} namespaces deleted, ${servers.length} processes stopped, in [\\d.]+ ms\\.\\n$`));
      console.log(`lab-cli down ${labId}: the command took ${down.ms} ms; it reports ${/in ([\d.]+) ms/.exec(down.stdout)?.[1]} ms for labDown`);
      left = leftovers(labId, inodes);

      // Down again: nothing to do, still exit 0.
      const twice = hostnet(['lab', 'down', labId]);
      expect(twice.code).toBe(0);
      expect(twice.stdout).toBe(`There is no lab ${labId} on this machine; nothing to tear down.\n`);
      const status2 = hostnet(['lab', 'status', '-o', 'json']);
      expect((JSON.parse(status2.stdout) as { labs: { labId: string }[] }).labs.map((l) => l.labId)).not.toContain(labId);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(inodes.size).toBeGreaterThan(0);
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });

  it('cleanup --lab removes a running lab too; cleanup without a target is a usage error', { timeout: 60_000 }, async () => {
    const labId = labIdFor('c', 'k');
    await labDown(labId, { stateDir: STATE_DIR });
    const before = rootFingerprint();
    let inodes = new Set<number>();
    let left: string[] = [];
    try {
      expect(hostnet(['lab', 'up', '--id', labId, MANIFEST]).code).toBe(0);
      inodes = labInodes(labId);
      const none = hostnet(['lab', 'cleanup']);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('say what to clean up: --lab ID for one lab, or --all');
      expect(listLabNetns().some((n) => n.startsWith(`hnlab-${labId}-`))).toBe(true);
      const clean = hostnet(['lab', 'cleanup', '--lab', labId]);
      expect(problemsIn(clean.stderr)).toEqual([]);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toMatch(new RegExp(`^Lab ${labId} is down: [1-9]\\d* namespaces deleted`));
      left = leftovers(labId, inodes);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(left).toEqual([]);
    expect(fingerprintChange(before, rootFingerprint())).toEqual([]);
  });
});

// Usage errors come before the root check, so these run anywhere.
describe('hostnet lab usage errors', () => {
  beforeAll(buildDist, 180_000);

  it('a bad id exits 2 with a sentence and makes nothing', () => {
    for (const args of [['lab', 'up', '--id', 'BAD_ID'], ['lab', 'up', '--id', 'abcdefghijklm'], ['lab', 'down', 'BAD_ID'], ['lab', 'cleanup', '--lab', 'Bad']]) {
      const r = hostnet(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^hostnet lab: the lab id "[^"]+" must be 1 to 12 lowercase letters or digits\.\n$/);
      expect(r.stdout).toBe('');
    }
    // Other test files build labs meanwhile, so only the names these ids would have are checked.
    expect(listLabNetns().filter((n) => /^hnlab-(bad_id|abcdefghijklm|bad)-/i.test(n))).toEqual([]);
    expect(readState('abcdefghijklm', STATE_DIR)).toBeUndefined();
  });

  it('down without an id takes the only lab, and otherwise asks for one', () => {
    // Not run through the CLI: other test files build labs meanwhile, and the only lab could be theirs.
    expect(onlyLab(['abc'])).toBe('abc');
    expect(onlyLab([])).toEqual({ problem: 'name the lab to tear down: hostnet lab down ID (no lab is on this machine).' });
    expect(onlyLab(['a', 'b'])).toEqual({ problem: 'name the lab to tear down: hostnet lab down ID (there are 2: a, b).' });
  });
});

const nobody = skip === undefined ? unprivileged() : skip;
describe.skipIf(typeof nobody === 'string')(`hostnet lab without root${typeof nobody === 'string' ? ` (skipped: ${nobody})` : ''}`, () => {
  beforeAll(buildDist, 180_000);

  it('every subcommand exits 2 with "needs root" and makes nothing', () => {
    const who = nobody as { uid: number; gid: number };
    const labId = labIdFor('c', 'n');
    for (const args of [['lab', 'up', '--id', labId], ['lab', 'down', labId], ['lab', 'status'], ['lab', 'status', '-o', 'json'], ['lab', 'doctor'], ['lab', 'cleanup', '--all'], ['lab', 'cleanup', '--lab', labId]]) {
      const r = hostnet(args, who);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe('hostnet lab: The lab needs root to create network namespaces; run it as root (for example with sudo).\n');
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`))).toEqual([]);
    expect(readState(labId, STATE_DIR)).toBeUndefined();
  });
});

describe('what the lab says is missing', () => {
  it('names a missing program and its Debian package; nothing is missing where the lab runs', () => {
    expect(missingTools(['hostnet-no-such-tool', 'ip'])).toEqual(['The program hostnet-no-such-tool is missing (Debian package hostnet-no-such-tool).']);
    if (skip === undefined) expect(labUnavailable()).toBeUndefined();
  });
});
