// The encrypted strategy: per-merchant government partial scores from the sandbox, combined
// with the bank's encrypted features under the bank's key (encryption/). Consent, access
// and the ledger apply as in the subjects mode; the ledger records digests of the
// ciphertexts in and out, never their bytes. The evaluation runs in the crypto process.
// One evaluation per merchant per bank per day: each is a linear equation in the
// provider's weights, so the quota is reserved atomically before anything is evaluated,
// and the provider accepted this exposure when it granted encrypted access.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isAppError } from '../../core/errors.js';
import { stmt } from '../../core/sqlite.js';
import { isValidUscc } from '../../datasets/uscc.js';
import { encryptionError } from '../../encryption/errors.js';
import { evaluateJoint, validateJointInput, validatePublicKey } from '../../encryption/evaluate.js';
import { quotaDay } from '../../policies/consent.js';
import type { Decision } from '../../policies/decision.js';
import { requireAccess } from '../access.js';
import { hasValidConsent, subjectDigest } from '../consents.js';
import { platformError } from '../errors.js';
import { runnableModel } from '../models.js';
import { requireKind } from '../orgs.js';
import { checkedScores, contractOf } from '../scoring.js';
import { newId, type Org } from '../state.js';
import { subjectsAvailableAfterMs } from './deadline.js';
import { begin, compact, failure, finish, until, type RunAnswer, type RunCtx } from './pipeline.js';

const b64 = z.string().max(8 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const encryptedRequestSchema = z
  .object({
    mode: z.literal('encrypted'),
    modelId: z.string().max(64),
    subjects: z.array(z.string().max(32)).min(1).max(4096),
    purpose: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/),
    /** A public key the bank registered (POST /v1/keys). */
    publicKeyId: z.string().max(64),
    ciphertexts: z.array(b64).min(1).max(32),
  })
  .strict();

export const keyRegistrationSchema = z.object({ publicKey: b64 }).strict();

/** A bank registers its CKKS public key once; results are re-randomised under it. */
export async function registerBankKey(ctx: RunCtx, bank: Org, publicKeyB64: string): Promise<{ id: string; digest: string }> {
  requireKind(bank, 'bank');
  const key = Buffer.from(publicKeyB64, 'base64');
  await validatePublicKey(ctx.policy.policy.encryption, key);
  const id = newId('key');
  const d = digest(key);
  ctx.db.transaction(() => {
    stmt(ctx.db, 'INSERT INTO bank_keys (id, bank, key, digest, created_at) VALUES (?, ?, ?, ?, ?)').run(id, bank.id, key, d, ctx.now().toISOString());
    ctx.ledger.append('bank.key.registered', bank.id, { key: id, bank: bank.id, digest: d });
  })();
  return { id, digest: d };
}
export type EncryptedRequest = z.infer<typeof encryptedRequestSchema>;

const digest = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function runEncrypted(ctx: RunCtx, bank: Org, req: EncryptedRequest): Promise<RunAnswer & { ciphertext?: string; slots?: number }> {
  requireKind(bank, 'bank');
  // access is checked before the model's modules are built: a bank without it makes the server compile nothing
  const { row, manifest, module, compiled } = await runnableModel(ctx, req.modelId, 'bank', () => requireAccess(ctx, bank.id, req.modelId, req.purpose));
  const features = manifest.bankFeatures ?? [];
  if (features.length === 0) throw platformError('RUN_BAD_REQUEST', { detail: 'model has no bank features' });
  const params = ctx.policy.policy.encryption;
  if (req.subjects.length > params.polyModulusDegree / 2) throw platformError('RUN_BAD_REQUEST', { detail: 'subjects' });
  if (new Set(req.subjects).size !== req.subjects.length || !req.subjects.every(isValidUscc)) throw platformError('SUBJECT_INVALID');
  const keyRow = stmt(ctx.db, 'SELECT bank, key FROM bank_keys WHERE id = ?').get(req.publicKeyId) as { bank: string; key: Buffer } | undefined;
  if (!keyRow || keyRow.bank !== bank.id) throw encryptionError('ENCRYPTION_KEY_UNKNOWN');
  const publicKey = keyRow.key;
  const ciphertexts = req.ciphertexts.map((c) => Buffer.from(c, 'base64'));
  await validateJointInput(params, publicKey, ciphertexts, features.length); // bad input: a 4xx before anything runs

  const valid = (s: string) => hasValidConsent(ctx, bank.id, s, req.purpose, req.modelId);
  const idx = ctx.vault.resolve(req.subjects);
  const day = quotaDay(ctx.now());
  const quotaKey = `enc:${row.approved_digest as string}`;
  const runId = newId('run');
  const requestedAt = ctx.now();
  const availableAt = new Date(requestedAt.getTime() + subjectsAvailableAfterMs(req.subjects.length, ctx.policy.policy.timing));
  const digests = { publicKey: digest(publicKey), ciphertexts: ciphertexts.map(digest) };
  // The quota is reserved with the run, atomically: of concurrent runs for one merchant,
  // exactly one is evaluated (a reservation stays used: the run may have read data).
  let scoredSlots: boolean[] = [];
  begin(
    ctx,
    bank,
    { id: runId, mode: 'encrypted', model: req.modelId, requestedAt, availableAt },
    {
      digest: row.approved_digest as string,
      dataset: ctx.vault.info.version,
      policy: ctx.policy.digest,
      request: `sha256:${createHash('sha256').update(JSON.stringify({ subjects: req.subjects.map(subjectDigest), ...digests })).digest('hex')}`,
    },
    () => {
      const reserve = stmt(ctx.db, 'INSERT OR IGNORE INTO encrypted_quota (bank, subject, model, day, run) VALUES (?, ?, ?, ?, ?)');
      scoredSlots = req.subjects.map((s, i) => (idx[i] as number) >= 0 && valid(s) && reserve.run(bank.id, s, quotaKey, day, runId).changes === 1);
    },
  );
  const base = { runId, mode: 'encrypted' as const, requestedAt: requestedAt.toISOString(), availableAt: availableAt.toISOString() };
  const decisions: Decision[] = [
    { rule: 'consent:valid', status: 'PASS', action: 'score-consented-only', params: { requested: req.subjects.length } },
    { rule: 'consent:daily-quota', status: 'PASS', action: 'one-evaluation-per-merchant-per-day', params: { perMerchantPerBankPerDay: 1 } },
  ];
  const rows = Int32Array.from(req.subjects.map((_, i) => i).filter((i) => scoredSlots[i]), (i) => idx[i] as number);
  const partial = new Float64Array(req.subjects.length);
  if (rows.length) {
    const contract = contractOf(manifest);
    try {
      const out = await ctx.executor.execute({ mode: 'subjects', source: module, compiled, fields: manifest.inputs, reasons: contract.reasons, data: ctx.vault.project(manifest.inputs, rows).data, partition: bank.id, limits: { memoryMb: 128, callMs: ctx.policy.policy.timing.subjectCallMs } });
      const checked = checkedScores(out, rows.length, contract);
      let r = 0;
      req.subjects.forEach((_, i) => {
        if (scoredSlots[i]) partial[i] = checked.scores[r++] as number;
      });
    } catch (e) {
      // a whole task lost in the sandbox (per-row failures are substituted inside it): the
      // bank sees RUN_FAILED at the public time, as for a subjects run, never the exact code
      if (!isAppError(e) || !e.code.startsWith('SANDBOX_')) throw e;
      const failed = (await failure(ctx, { ...base, decisions, notScored: req.subjects.length, slots: req.subjects.length }, e.code, req.modelId, row.approved_digest as string)) as RunAnswer;
      await until(availableAt, ctx.now);
      return failed;
    }
  }
  // consent again, just before anything leaves
  const consented = req.subjects.map((s, i) => (scoredSlots[i] as boolean) && valid(s));
  decisions.push({ rule: 'consent:recheck', status: 'PASS', action: 'mask-revoked', params: { checkedAtRelease: true } });
  const joint = { params, publicKey, ciphertexts, weights: features.map((f) => f.weight), partial, consented, floodingSigma: 0.001 };
  // in the crypto process (off the server's event loop), or in-process where there is none
  const result = ctx.crypto ? await ctx.crypto.run(joint) : await evaluateJoint(joint);
  const notScored = consented.filter((c) => !c).length;
  const answer: RunAnswer = { ...base, status: 'released', decisions, notScored, slots: req.subjects.length, scoredSlots: consented, ciphertext: Buffer.from(result).toString('base64') };
  const released = (await finish(ctx, answer, () => {
    ctx.ledger.append('run.executed', 'platform', { run: runId, resources: { rows: rows.length, slots: req.subjects.length } });
    return ctx.ledger.append('run.released', 'platform', { run: runId, output: digest(result), inputs: digests, decisions: compact(decisions), budget: 0 }).seq;
  })) as RunAnswer;
  // answered at its public time, never earlier
  await until(availableAt, ctx.now);
  return released;
}
