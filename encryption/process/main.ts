// The crypto process: trusted platform code (homomorphic evaluation with node-seal) kept
// out of the server process and off its event loop. It runs inside the same confinement as
// the executors (core/confinement.ts) but without --disallow-code-generation-from-strings,
// which node-seal's embind glue cannot work under. It never runs model code.
import { serveParent } from '../../core/child.js';
import { isAppError } from '../../core/errors.js';
import { evaluateJoint, type JointInput } from '../evaluate.js';

export const CRYPTO_HEARTBEAT_MS = 250;

const channel = serveParent((m) => {
  if (m.type !== 'joint' || typeof m.id !== 'number') {
    channel.send({ type: 'error', id: m.id ?? 0, code: 'CHANNEL_MESSAGE_INVALID' });
    return;
  }
  const id = m.id;
  // the input's bytes come from a bank (attacker-controlled): evaluateJoint checks them
  evaluateJoint(m.input as JointInput)
    .then((result) => channel.send({ type: 'result', id, result }))
    .catch((e: unknown) => channel.send({ type: 'result', id, code: isAppError(e) && e.code.startsWith('ENCRYPTION_') ? e.code : 'ENCRYPTION_CIPHERTEXT_INVALID' }));
}, CRYPTO_HEARTBEAT_MS);
channel.send({ type: 'ready', pid: process.pid });
