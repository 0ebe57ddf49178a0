// Work a benchmark runs in a child process, so that its time and peak memory are its own.
// Usage: node tasks.js TASK ARGS...; the result is sent back over IPC.
import path from 'node:path';
import { CHUNK, generateChunk } from '../datasets/generator.js';
import { seedVault } from '../datasets/store.js';

const [task, dir, count] = process.argv.slice(2);
const subjects = Number(count);
const start = performance.now();
if (task === 'seed') {
  seedVault(path.join(dir as string, 'vault.sqlite'), { subjects, seed: 1, force: true });
} else if (task === 'generate') {
  for (let c = 0; c * CHUNK < subjects; c++) generateChunk({ seed: 1, prefix: 'MA' }, c, Math.min(CHUNK, subjects - c * CHUNK));
} else {
  throw new Error(`unknown task ${task}`);
}
const ms = performance.now() - start;
process.send?.({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 });
