/**
 * The only code that reads manifests from the disk or stdin: paths → texts, with every failure a finding.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Finding } from '../model/types.js';
import { loadIssue } from './objects.js';

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;

export interface InputText {
  readonly file: string;
  readonly text: string;
}

export interface ReadOptions {
  /** Read standard input for the path `-`. */
  readonly readStdin?: () => Promise<Uint8Array>;
  /** Glob-like path fragments to skip while walking directories (`.hostnet.yaml` `ignorePaths`). */
  readonly ignore?: readonly string[];
  readonly maxFileBytes?: number;
}

export interface ReadResult {
  readonly inputs: InputText[];
  readonly issues: Finding[];
}

function errnoMessage(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return `${file} does not exist.`;
    case 'EACCES': case 'EPERM': return `${file} cannot be read: permission denied.`;
    case 'ELOOP': return `${file} is a symbolic link loop.`;
    case 'EISDIR': return `${file} is a directory that could not be listed.`;
    default: return `${file} cannot be read (${code ?? String(e)}).`;
  }
}

function tooLarge(file: string, size: number, maxBytes: number): string {
  return `${file} is ${(size / 1048576).toFixed(1)} MiB, over the ${(maxBytes / 1048576).toFixed(0)} MiB limit for one manifest file; split it or raise the limit.`;
}

/** Decode bytes as UTF-8 manifest text, or say why it is not one. */
export function decodeManifest(file: string, bytes: Uint8Array, maxBytes = DEFAULT_MAX_FILE_BYTES): { text: string } | { problem: string } {
  if (bytes.byteLength > maxBytes) return { problem: tooLarge(file, bytes.byteLength, maxBytes) };
  if (bytes.subarray(0, 8192).includes(0)) return { problem: `${file} looks like a binary file (it contains NUL bytes), not YAML or JSON.` };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { problem: `${file} is not valid UTF-8 text; Kubernetes manifests must be UTF-8.` };
  }
}

function ignored(path: string, ignore: readonly string[]): boolean {
  const p = path.split(sep).join('/');
  return ignore.some((pattern) => {
    const re = new RegExp(`(^|/)${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}(/|$)`);
    return re.test(p);
  });
}

export async function readInputs(paths: readonly string[], opts: ReadOptions = {}): Promise<ReadResult> {
  const inputs: InputText[] = [];
  const issues: Finding[] = [];
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const ignore = opts.ignore ?? [];
  const seenDirs = new Set<string>();

  const readOne = async (file: string): Promise<void> => {
    let bytes: Uint8Array;
    try {
      const st = await stat(file);
      if (st.size > maxBytes) {
        issues.push(loadIssue('unreadable-file', tooLarge(file, st.size, maxBytes), file));
        return;
      }
      bytes = await readFile(file);
    } catch (e) {
      issues.push(loadIssue('unreadable-file', errnoMessage(file, e), file));
      return;
    }
    const decoded = decodeManifest(file, bytes, maxBytes);
    if ('problem' in decoded) issues.push(loadIssue('unreadable-file', decoded.problem, file));
    else inputs.push({ file, text: decoded.text });
  };

  const walk = async (dir: string, root: string): Promise<void> => {
    let real: string;
    try {
      real = await realpath(dir);
    } catch (e) {
      issues.push(loadIssue('unreadable-file', errnoMessage(dir, e), dir));
      return;
    }
    if (seenDirs.has(real)) {
      issues.push(loadIssue('unreadable-file', `${dir} leads back to ${real}, which was already read (a symbolic link loop); it is skipped.`, dir));
      return;
    }
    seenDirs.add(real);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      issues.push(loadIssue('unreadable-file', errnoMessage(dir, e), dir));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const full = join(dir, ent.name);
      if (ent.name.startsWith('.') || ent.name === 'node_modules') continue;
      if (ignored(relative(root, full), ignore) || ignored(full, ignore)) continue;
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try {
          const st = await stat(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (e) {
          issues.push(loadIssue('unreadable-file', errnoMessage(full, e), full));
          continue;
        }
      }
      if (isDir) await walk(full, root);
      else if (isFile && MANIFEST_EXTENSIONS.some((ext) => ent.name.toLowerCase().endsWith(ext))) await readOne(full);
    }
  };

  for (const p of paths) {
    if (p === '-') {
      if (!opts.readStdin) {
        issues.push(loadIssue('unreadable-file', 'Standard input was named (-) but cannot be read here.', '<stdin>'));
        continue;
      }
      const bytes = await opts.readStdin();
      const decoded = decodeManifest('<stdin>', bytes, maxBytes);
      if ('problem' in decoded) issues.push(loadIssue('unreadable-file', decoded.problem, '<stdin>'));
      else inputs.push({ file: '<stdin>', text: decoded.text });
      continue;
    }
    let st;
    try {
      st = await lstat(p).then(async (l) => (l.isSymbolicLink() ? stat(p) : l));
    } catch (e) {
      issues.push(loadIssue('unreadable-file', errnoMessage(p, e), p));
      continue;
    }
    if (st.isDirectory()) await walk(p, p);
    else await readOne(p);
  }
  return { inputs, issues };
}
