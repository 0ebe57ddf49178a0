// The ledger's answers over HTTP: the latest checkpoint, proofs (RFC 9162) and entries.
// zod only: browser-safe.
import { z } from 'zod';

const hex = z.string().regex(/^[0-9a-f]*$/);

export const checkpointAnswer = z.object({
  size: z.number(),
  rootHash: hex,
  note: z.string().describe('The signed checkpoint note (C2SP tlog-checkpoint)'),
  publicKey: z.string().describe('The current verifier key (C2SP signed-note vkey)'),
  genesisKey: z.string(),
  origin: z.string(),
});
export const inclusionAnswer = z.object({ index: z.number(), size: z.number(), path: z.array(hex) });
export const consistencyAnswer = z.object({ from: z.number(), to: z.number(), path: z.array(hex) });
/** An entry is served with its keys in the order the log wrote them (canonical JSON): its leaf hash is over those bytes. */
export const entriesAnswer = z.array(z.object({ seq: z.number(), entry: z.record(z.string(), z.unknown()).describe('The entry as appended (ledger/entry.ts), keys in canonical order') }));
