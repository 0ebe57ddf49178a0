// `dfix model try`: a package run in the real executor on dummy data, as a developer sees it.
import { DEFAULTS } from '../core/config.js';
import { isAppError } from '../core/errors.js';
import { dummyMatrix } from '../datasets/dummy.js';
import { modelError } from '../models/errors.js';
import { parseManifest, type ModelPackage } from '../models/package.js';
import type { Executor } from '../workers/client.js';
import type { Mode } from '../workers/client.js';
import { checkedScores, contractOf, subjectScores, type SubjectScore } from './scoring.js';

export type TryResult = { ok: true; outputs: (SubjectScore & { subject: string })[] } | { ok: false; error: { code: string } };

export async function tryPackage(pkg: ModelPackage, executor: Executor, subjects: number, mode: Mode): Promise<TryResult> {
  const manifest = parseManifest(pkg.manifestJson);
  if (!manifest) throw modelError('MODEL_MANIFEST_INVALID');
  try {
    const { data, usccs } = dummyMatrix(manifest.inputs, subjects, DEFAULTS.seed);
    const r = await executor.execute({ mode, source: pkg.source, fields: manifest.inputs, reasons: manifest.output.reasons, data, lane: 'vetting' });
    const contract = contractOf(manifest);
    const checked = checkedScores(r, subjects, contract);
    const scored = subjectScores(checked.scores, checked.reasons, subjects, contract);
    return { ok: true, outputs: scored.map((s, i) => ({ subject: usccs[i] as string, ...s })) };
  } catch (e) {
    if (isAppError(e) && e.kind !== 'internal' && e.kind !== 'invalid') return { ok: false, error: { code: e.code } };
    throw e;
  }
}
