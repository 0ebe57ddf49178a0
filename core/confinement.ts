// How the platform's child processes are confined, in one place. It fails closed: when the
// configured confinement cannot be established, nothing starts, and the error says why in
// one line. Every child runs under Node's permission model, reading only its own runtime
// tree; with `os` confinement (the default, needs root) it also runs as user `nobody`, in
// a network namespace of its own, with an address-space and a CPU-time limit. Running with
// the permission model alone must be chosen by the operator ('permission-only').
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildCommand } from './child.js';
import { CONFINEMENT_ERRORS, errorFactory } from './errors.js';
import { projectRoot } from './fs.js';

export { CONFINEMENT_ERRORS };
const confinementError = errorFactory(CONFINEMENT_ERRORS);

export type ConfinementMode = 'os' | 'permission-only';

/** Address space of a model-running process: Node, its worker and isolates peak at about 2.3 GB of virtual memory here; a runaway builtin stops at this cap. */
export const ADDRESS_SPACE_BYTES = 4 * 1024 ** 3;
/** CPU seconds of one process over its life; a process is replaced long before (client.ts). */
export const CPU_SECONDS = 6 * 3600;

export interface ConfinementTools {
  unshare: string;
  setpriv: string;
  prlimit: string;
}
export const DEFAULT_TOOLS: ConfinementTools = Object.freeze({ unshare: '/usr/bin/unshare', setpriv: '/usr/bin/setpriv', prlimit: '/usr/bin/prlimit' });

/** What a started platform tells the operator and the regulator about its children. */
export interface Posture {
  mode: ConfinementMode;
  user: string;
  network: 'own namespace (no interfaces up)' | 'host network';
  limits: { addressSpaceBytes: number | null; cpuSeconds: number | null };
  /** Where the children's code is read from (a readable copy when the install directory is closed to `nobody`). */
  runtime: string;
  residual: string[];
}

export interface Confinement {
  posture: Posture;
  /** `node <permission flags> <nodeArgs> <entry>` inside the confinement, in the runtime tree. */
  /**
   * `addressSpace: false` for a process that runs no model code and needs large virtual
   * reservations (WebAssembly memories reserve guard regions of several GiB).
   */
  command(entry: string, nodeArgs: readonly string[], options: { addons: boolean; addressSpace?: boolean; nice?: number }): ChildCommand;
  dispose(): void;
}

/** Whether `file` can be reached and read by a user that is neither owner nor group (mode bits). */
export function readableByOthers(file: string): boolean {
  let p = path.resolve(file);
  try {
    if ((fs.statSync(p).mode & 0o004) === 0) return false;
    for (;;) {
      const parent = path.dirname(p);
      if (parent === p) return true;
      p = parent;
      if ((fs.statSync(p).mode & 0o001) === 0) return false;
    }
  } catch {
    return false;
  }
}

/** Copies what a child needs into a fresh directory that `nobody` can read; returns its root. */
function runtimeCopy(root: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfix-runtime-'));
  fs.chmodSync(dir, 0o755);
  const copy = (rel: string) => fs.cpSync(path.join(root, rel), path.join(dir, rel), { recursive: true, preserveTimestamps: true });
  copy('package.json');
  copy('dist');
  for (const m of ['isolated-vm', 'ses', 'acorn', 'eslint-scope', 'esrecurse', 'estraverse', 'zod', 'node-seal']) if (fs.existsSync(path.join(root, 'node_modules', m))) copy(path.join('node_modules', m));
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}

/** Permission-model flags: read the runtime tree, start worker threads, optionally load addons. */
export function permissionArgs(root: string, options: { addons: boolean }): string[] {
  const readable = [path.join(root, 'dist', '*'), path.join(root, 'node_modules', '*'), path.join(root, 'package.json')];
  return [
    '--experimental-permission',
    ...readable.map((p) => `--allow-fs-read=${p}`),
    '--allow-fs-read=/proc/self/limits',
    '--allow-worker',
    ...(options.addons ? ['--allow-addons'] : []),
    '--disable-warning=ExperimentalWarning',
    '--disable-warning=SecurityWarning',
  ];
}

/**
 * Establishes the configured confinement or throws SANDBOX_CONFINEMENT_UNAVAILABLE naming
 * what is missing. `os` needs root and util-linux's unshare, setpriv and prlimit.
 */
export function establishConfinement(mode: ConfinementMode, tools: ConfinementTools = DEFAULT_TOOLS): Confinement {
  const root = projectRoot();
  const missing = (Object.entries(tools) as [keyof ConfinementTools, string][]).filter(([, p]) => !fs.existsSync(p)).map(([n]) => n);
  if (mode === 'os') {
    if (process.getuid?.() !== 0) throw confinementError('CONFINEMENT_UNAVAILABLE', { detail: 'os confinement needs root; run as root or choose --confinement permission-only' });
    if (missing.length) throw confinementError('CONFINEMENT_UNAVAILABLE', { detail: `os confinement needs ${missing.join(', ')} (util-linux)` });
    const probe = spawnSync(tools.unshare, ['-n', '--', tools.setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', '--', '/bin/true']);
    if (probe.status !== 0) throw confinementError('CONFINEMENT_UNAVAILABLE', { detail: `unshare/setpriv failed here (exit ${probe.status ?? probe.signal})` });
  }
  const entryProbe = path.join(root, 'dist', 'workers', 'executor.js');
  if (!fs.existsSync(entryProbe)) throw confinementError('CONFINEMENT_UNAVAILABLE', { detail: 'dist/ is not built (npm run build)' });
  // `nobody` must be able to read the code it runs: from a closed install directory (a
  // clone under a 0700 directory, root's home) use a readable copy instead.
  const runtime = mode === 'os' && !readableByOthers(entryProbe) ? runtimeCopy(root) : root;
  const limits = !missing.includes('prlimit');
  const posture: Posture = {
    mode,
    user: mode === 'os' ? 'nobody (65534)' : (os.userInfo().username ?? String(process.getuid?.())),
    network: mode === 'os' ? 'own namespace (no interfaces up)' : 'host network',
    limits: limits ? { addressSpaceBytes: ADDRESS_SPACE_BYTES, cpuSeconds: CPU_SECONDS } : { addressSpaceBytes: null, cpuSeconds: null },
    runtime: runtime === root ? 'install directory' : `readable copy in ${runtime}`,
    residual: [
      "Node's permission model does not restrict which native addon a process may dlopen: code that escaped an isolate could load one; the OS user (nobody) cannot read the vault, the platform database or keys (mode 0600, root).",
      ...(mode === 'permission-only' ? ['permission model alone: the children run as the platform user, with the host network'] : []),
    ],
  };
  return {
    posture,
    command(entry, nodeArgs, options) {
      const node = [...permissionArgs(runtime, options), ...nodeArgs, path.join(runtime, entry)];
      const limited = limits ? [tools.prlimit, ...(options.addressSpace === false ? [] : [`--as=${ADDRESS_SPACE_BYTES}`]), `--cpu=${CPU_SECONDS}`, '--'] : [];
      // a lower CPU priority (the vetting lane: code nobody approved yet yields to banks' runs)
      const niced = options.nice ? ['/usr/bin/nice', '-n', String(options.nice)] : [];
      const argv =
        mode === 'os'
          ? [...niced, tools.unshare, '-n', '--', ...limited, tools.setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', '--', process.execPath, ...node]
          : [...niced, ...limited, process.execPath, ...node];
      return { cmd: argv[0] as string, args: argv.slice(1), cwd: runtime, env: { PATH: process.env.PATH ?? '' } };
    },
    dispose() {
      if (runtime !== root) fs.rmSync(runtime, { recursive: true, force: true });
    },
  };
}
