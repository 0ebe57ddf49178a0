// The crypto process: trusted platform code (homomorphic evaluation) kept out of the server
// process and off its event loop. It runs under Node's permission model (reads only its own
// code; no writes, no child processes) like the executor, but without
// --disallow-code-generation-from-strings, which node-seal's embind glue cannot work under.
// It never runs model code.
import { createPool } from './pool.js';

process.on('disconnect', () => process.exit(0));
const pool = createPool(Math.min(2, 2), 'crypto-worker.js');

process.on('message', (m: { id: number; input: unknown }) => {
  if (typeof m !== 'object' || m === null || typeof m.id !== 'number') return;
  pool
    .runAny(m.input, [])
    .then((r) => process.send?.({ id: m.id, ...(r as object) }))
    .catch(() => process.send?.({ id: m.id, code: 'ENCRYPTION_CIPHERTEXT_INVALID' }));
});
process.send?.({ ready: true });
