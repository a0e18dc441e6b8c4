/**
 * One build of dist/ for the tests that run the real binary: test files running in parallel take
 * a lock instead of running tsc over each other's output, and sources that did not change since the
 * last build (a SHA-256 of src/ and the tsconfig files, kept in dist/) are not built again.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

const DIST = join(ROOT, 'dist');
const CACHE = join(ROOT, 'node_modules', '.cache');
const LOCK = join(CACHE, 'hostnet-dist-build.lock');
const STAMP = join(DIST, '.sources-sha256');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** What the build reads: src/ and the compiler settings. */
function sourcesHash(): string {
  const h = createHash('sha256');
  for (const f of [...files(join(ROOT, 'src')), join(ROOT, 'tsconfig.json'), join(ROOT, 'tsconfig.build.json')].sort()) {
    h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** mkdir is atomic: whoever creates the directory holds the lock; a dead holder's lock is taken over. */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // The holder has made the directory but not yet written its PID.
      }
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if ((holder > 0 && !alive(holder)) || age > 170_000) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the dist/ build lock ${LOCK} is held by PID ${holder} for too long`);
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

let built: Promise<void> | undefined;

/**
 * Build dist/ with tsc unless it was already built from exactly the current sources. Test files
 * that run the binary call this in beforeAll: they never build at the same moment, a file builds
 * at most once, and tsc writes into a fresh directory that replaces dist/ in two renames, so a
 * binary another test file is starting never reads a half-written module (nor a module whose
 * source was deleted).
 */
export function buildDist(): Promise<void> {
  built ??= build();
  return built;
}

async function build(): Promise<void> {
  const t0 = performance.now();
  await withBuildLock(async () => {
    const want = sourcesHash();
    if (existsSync(BIN) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === want) {
      console.log(`dist/ is up to date with src/ (checked in ${Math.round(performance.now() - t0)} ms, lock wait included)`);
      return;
    }
    const t1 = performance.now();
    const next = join(CACHE, `dist-next-${process.pid}`);
    const old = join(CACHE, `dist-old-${process.pid}`);
    rmSync(next, { recursive: true, force: true });
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', next], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.on('close', (c) => resolve({ code: c, output: text }));
    });
    if (code !== 0) {
      rmSync(next, { recursive: true, force: true });
      throw new Error(`building dist/ with tsc failed (exit ${code}):\n${output}`);
    }
    writeFileSync(join(next, '.sources-sha256'), want);
    rmSync(old, { recursive: true, force: true });
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(next, DIST);
    rmSync(old, { recursive: true, force: true });
    console.log(`built dist/ in ${Math.round(performance.now() - t1)} ms (after ${Math.round(t1 - t0)} ms waiting for the lock)`);
  });
}
