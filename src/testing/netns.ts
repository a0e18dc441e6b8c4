/**
 * A throwaway network namespace for tests that ask the real kernel. Each namespace is created by
 * the test, named `hostnet-t<pid>-<n>`, and deleted when the callback ends, so nothing outside
 * what the test made is ever touched. Without root or the tools, `kernelUnavailable()` says why
 * and the tests skip with that reason.
 */
import { spawnSync } from 'node:child_process';

let counter = 0;

function run(cmd: string, args: readonly string[], input?: string): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** Why kernel tests cannot run here, or undefined when they can. */
export function kernelUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'kernel tests need Linux';
  if (process.getuid?.() !== 0) return 'kernel tests need root (network namespaces)';
  for (const tool of ['ip', 'iptables-restore', 'iptables-save', 'ip6tables-restore', 'nfacct']) {
    if (!run('sh', ['-c', `command -v ${tool}`]).ok) return `kernel tests need ${tool} (Debian package ${tool === 'ip' ? 'iproute2' : tool === 'nfacct' ? 'nfacct' : 'iptables'})`;
  }
  return undefined;
}

export interface Netns {
  readonly name: string;
  exec(cmd: string, args: readonly string[], input?: string): { ok: boolean; stdout: string; stderr: string };
}

/** Run `fn` inside a fresh namespace that is deleted afterwards, whatever happens. */
export function withNetns<T>(fn: (ns: Netns) => T): T {
  const name = `hostnet-t${process.pid}-${++counter}`;
  const made = run('ip', ['netns', 'add', name]);
  if (!made.ok) throw new Error(`could not create network namespace ${name}: ${made.stderr.trim()}`);
  try {
    return fn({ name, exec: (cmd, args, input) => run('ip', ['netns', 'exec', name, cmd, ...args], input) });
  } finally {
    run('ip', ['netns', 'del', name]);
  }
}

/**
 * Load iptables-save text with `iptables-restore` in a throwaway namespace and return what
 * `iptables-save` prints back (comment lines dropped, tables in raw/mangle/nat/filter order),
 * or the kernel's error.
 */
export function kernelRoundTrip(text: string, family: 'ipv4' | 'ipv6' = 'ipv4'): { ok: true; saved: string } | { ok: false; error: string } {
  const restore = family === 'ipv6' ? 'ip6tables-restore' : 'iptables-restore';
  const save = family === 'ipv6' ? 'ip6tables-save' : 'iptables-save';
  return withNetns((ns) => {
    // kube-proxy's localhost NodePort rules count packets in an nfacct object, which must exist first (KP-7).
    for (const name of new Set([...text.matchAll(/--nfacct-name\s+(\S+)/g)].map((m) => m[1]!))) {
      const made = ns.exec('nfacct', ['add', name]);
      if (!made.ok) return { ok: false, error: `nfacct add ${name} failed (is the Debian package nfacct installed?): ${made.stderr.trim()}` };
    }
    const loaded = ns.exec(restore, [], text);
    if (!loaded.ok) return { ok: false, error: loaded.stderr.trim() };
    const saved = ns.exec(save, []);
    if (!saved.ok) return { ok: false, error: saved.stderr.trim() };
    const tables = new Map<string, string>();
    for (const block of saved.stdout.split(/^(?=\*)/m)) {
      const lines = block.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      if (lines[0]?.startsWith('*')) tables.set(lines[0].slice(1), lines.join('\n'));
    }
    const order = ['raw', 'mangle', 'nat', 'filter'].filter((t) => tables.has(t));
    return { ok: true, saved: `${order.map((t) => tables.get(t)).join('\n')}\n` };
  });
}
