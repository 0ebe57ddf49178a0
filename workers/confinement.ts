// How the platform's child processes are confined, in one place. Each runs under Node's
// permission model, reading only its own code (dist/, node_modules/, package.json); where
// the platform is root it also runs as `nobody` in a network namespace of its own.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../core/fs.js';

/** Permission-model flags: read the own code, start worker threads, optionally load addons. */
export function permissionArgs(root: string, options: { addons: boolean }): string[] {
  // Node 20.20 takes one path per flag; a trailing /* grants a directory's subtree.
  const readable = [path.join(root, 'dist', '*'), path.join(root, 'node_modules', '*'), path.join(root, 'package.json')];
  return [
    '--experimental-permission',
    ...readable.map((p) => `--allow-fs-read=${p}`),
    '--allow-worker',
    ...(options.addons ? ['--allow-addons'] : []),
    '--disable-warning=ExperimentalWarning',
    // --allow-worker and --allow-addons are deliberate: the isolate, not the permission
    // model, confines model code (see DESIGN.md, isolation).
    '--disable-warning=SecurityWarning',
  ];
}

/** True where the platform may drop a child to `nobody` without a network (root, with util-linux). */
export function canConfineOs(): boolean {
  return process.getuid?.() === 0 && fs.existsSync('/usr/bin/unshare') && fs.existsSync('/usr/bin/setpriv');
}

/** Starts `node <nodeArgs>` in the project root, inside the OS confinement when `os`. */
export function spawnConfined(nodeArgs: readonly string[], os: boolean, options: Pick<SpawnOptions, 'stdio' | 'serialization'>): ChildProcess {
  const [cmd, args] = os
    ? ['unshare', ['-n', '--', 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', '--', process.execPath, ...nodeArgs]]
    : [process.execPath, [...nodeArgs]];
  return spawn(cmd, args, { cwd: projectRoot(), env: { PATH: process.env.PATH ?? '' }, ...options });
}
