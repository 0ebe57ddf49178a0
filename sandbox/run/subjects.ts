// The per-merchant strategy (a bank with granted access): only merchants with a valid
// consent are scored, each in a fresh context (a merchant whose row makes the model fail
// alone, or whose output breaks the contract, gets the manifest's default output); the
// answer does not say which of the others were unknown and which not consented. It is
// synchronous, and answered at a time that depends only on how many merchants were asked.
import { z } from 'zod';
import { stmt } from '../../core/sqlite.js';
import { isAppError } from '../../core/errors.js';
import { isValidUscc } from '../../datasets/uscc.js';
import { quotaDay } from '../../policies/consent.js';
import type { Decision } from '../../policies/decision.js';
import { requireAccess } from '../access.js';
import { hasValidConsent, subjectDigest } from '../consents.js';
import { platformError } from '../errors.js';
import { runnableModel } from '../models.js';
import { requireKind } from '../orgs.js';
import { checkedScores, contractOf, subjectScores, type SubjectScore } from '../scoring.js';
import { newId, type Org } from '../state.js';
import { subjectsAvailableAfterMs } from './deadline.js';
import { begin, compact, digestOf, failure, finish, until, type RunAnswer, type RunCtx } from './pipeline.js';

export const subjectsRequestSchema = z
  .object({
    mode: z.literal('subjects'),
    modelId: z.string().max(64),
    subjects: z.array(z.string().max(32)).min(1).max(4096),
    purpose: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/),
  })
  .strict();
export type SubjectsRequest = z.infer<typeof subjectsRequestSchema>;

export async function runSubjects(ctx: RunCtx, bank: Org, req: SubjectsRequest): Promise<RunAnswer> {
  requireKind(bank, 'bank');
  // access is checked before the model's modules are built: a bank without it makes the server compile nothing
  const { row, manifest, module, compiled } = await runnableModel(ctx, req.modelId, 'bank', () => requireAccess(ctx, bank.id, req.modelId, req.purpose));
  const policy = ctx.policy.policy;
  const subjects = [...new Set(req.subjects)];
  if (subjects.length > policy.subjects.maxSubjectsPerRun) throw platformError('RUN_BAD_REQUEST', { detail: 'subjects' });
  if (!subjects.every(isValidUscc)) throw platformError('SUBJECT_INVALID');
  const valid = (s: string) => hasValidConsent(ctx, bank.id, s, req.purpose, req.modelId);
  const requestedAt = ctx.now();
  const availableAt = new Date(requestedAt.getTime() + subjectsAvailableAfterMs(subjects.length, policy.timing));

  // Merchants without a valid consent are not computed at all.
  const consented = subjects.filter(valid);
  const day = quotaDay(requestedAt);
  const digest = row.approved_digest as string;
  const cachedStmt = stmt(ctx.db, 'SELECT result FROM subject_results WHERE bank = ? AND subject = ? AND model = ? AND day = ?').pluck();
  const cached = new Map<string, SubjectScore>();
  for (const s of consented) {
    const r = cachedStmt.get(bank.id, s, digest, day) as string | undefined;
    if (r) cached.set(s, JSON.parse(r) as SubjectScore);
  }
  const fresh = consented.filter((s) => !cached.has(s));
  const idx = ctx.vault.resolve(fresh);
  const known = fresh.filter((_, i) => (idx[i] as number) >= 0);
  const knownIdx = Int32Array.from(idx).filter((i) => i >= 0);

  const runId = newId('run');
  const decisions: Decision[] = [
    { rule: 'consent:valid', status: 'PASS', action: 'score-consented-only', params: { requested: subjects.length } },
    { rule: 'consent:daily-quota', status: 'PASS', action: 'serve-cached-repeats', params: { freshPerDay: policy.subjects.freshResultsPerMerchantPerBankPerDay } },
    { rule: 'output:default', status: 'PASS', action: 'replace-bad-rows', params: { default: true } },
  ];
  begin(ctx, bank, { id: runId, mode: 'subjects', model: req.modelId, requestedAt, availableAt }, {
    digest,
    dataset: ctx.vault.info.version,
    policy: ctx.policy.digest,
    request: digestOf({ subjects: subjects.map(subjectDigest), purpose: req.purpose }),
  });
  const base = { runId, mode: 'subjects' as const, requestedAt: requestedAt.toISOString(), availableAt: availableAt.toISOString() };

  const scored = new Map<string, SubjectScore>(cached);
  let substituted = { failed: 0, offLattice: 0, undeclared: 0 };
  let cpuMs = 0;
  if (known.length) {
    try {
      const contract = contractOf(manifest);
      const projection = ctx.vault.project(manifest.inputs, knownIdx);
      const out = await ctx.executor.execute({
        mode: 'subjects',
        source: module,
        compiled,
        fields: manifest.inputs,
        reasons: contract.reasons,
        data: projection.data,
        partition: bank.id,
        limits: { memoryMb: 128, callMs: policy.timing.subjectCallMs },
      });
      cpuMs = out.cpuMs;
      const checked = checkedScores(out, known.length, contract);
      substituted = checked.substituted;
      const results = subjectScores(checked.scores, checked.reasons, known.length, contract);
      known.forEach((s, i) => scored.set(s, results[i] as SubjectScore));
    } catch (e) {
      if (!isAppError(e) || !e.code.startsWith('SANDBOX_')) throw e;
      const failed = (await failure(ctx, { ...base, decisions, results: [], notScored: subjects.length }, e.code, req.modelId, digest)) as RunAnswer;
      await until(availableAt, ctx.now);
      return failed;
    }
  }
  // Recorded now (a read of the run shows nothing before its public time), answered at its
  // public time, never earlier; one finished after that time is recorded as late.
  const lateMs = ctx.now().getTime() - availableAt.getTime();
  // Consent is checked again at release: a revocation during the run takes effect.
  const results = subjects.filter((s) => scored.has(s) && valid(s)).map((s) => ({ subject: s, ...(scored.get(s) as SubjectScore) }));
  decisions.push({ rule: 'consent:recheck', status: 'PASS', action: 'drop-revoked', params: { checkedAtRelease: true } });
  const answer = (await finish(ctx, { ...base, status: 'released', decisions, results, notScored: subjects.length - results.length }, () => {
    const put = stmt(ctx.db, 'INSERT OR IGNORE INTO subject_results (bank, subject, model, day, result) VALUES (?, ?, ?, ?, ?)');
    for (const s of known) if (scored.has(s)) put.run(bank.id, s, digest, day, JSON.stringify(scored.get(s)));
    // lateness is a field of run.executed, not an entry of its own: the number of entries
    // a run writes must not depend on what the model did (see finish)
    ctx.ledger.append('run.executed', 'platform', { run: runId, resources: { rows: known.length, cached: cached.size, cpuMs: Math.round(cpuMs) }, substituted: { ...substituted }, ...(lateMs > 25 ? { lateMs: Math.round(lateMs) } : {}) });
    return ctx.ledger.append('run.released', 'platform', { run: runId, output: digestOf(results), decisions: compact(decisions), budget: 0 }).seq;
  })) as RunAnswer;
  await until(availableAt, ctx.now);
  return answer;
}
