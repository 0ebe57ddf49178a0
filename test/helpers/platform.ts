import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../../core/config.js';
import { seedVault } from '../../datasets/store.js';
import { readPackage } from '../../models/package.js';
import { loadPolicy, type LoadedPolicy, type Policy, policyDigest } from '../../policies/policy.schema.js';
import { Platform } from '../../sandbox/platform.js';
import type { Org } from '../../sandbox/state.js';
import { grantAccess, requestAccess } from '../../sandbox/access.js';
import { approveModel, submitModel } from '../../sandbox/models.js';
import { admitOrg, applyOrg, authenticate } from '../../sandbox/orgs.js';
import { answerOf, runAggregate, type AggregateRequest } from '../../sandbox/run/aggregate.js';
import { getRun, type RunAnswer } from '../../sandbox/run/pipeline.js';
import type { Executor } from '../../workers/client.js';
import { usccFor, usccMixer } from '../../datasets/uscc.js';
import { tmpDir } from './tmp.js';

export const REFERENCE = path.resolve('models/examples/merchant-scorecard');

export function policyWith(edit: (p: Policy) => void): LoadedPolicy {
  const p = structuredClone(loadPolicy().policy);
  edit(p);
  return { policy: p, digest: policyDigest(p) };
}

/** A valid USCC that no vault or dummy population uses (organisation prefix "MX"). */
export function strangerUscc(i: number): string {
  const { mult, add } = usccMixer(1);
  return usccFor(i, 'MX', '1', mult, add);
}

export interface World {
  dir: string;
  platform: Platform;
  regulator: Org;
  fintech: Org;
  bank: Org;
  channel: Org;
  modelId: string;
  accessPurpose: string;
}

let seq = 0;
export async function world(executor: Executor, options: { subjects?: number; policy?: LoadedPolicy; now?: () => Date } = {}): Promise<World> {
  const dir = tmpDir('dfix-world-');
  const config = resolveConfig({ dataDir: dir }, {});
  seedVault(config.vaultPath, { subjects: options.subjects ?? 1600, seed: 20240601 });
  const platform = await Platform.open(config, { executor, ...(options.policy ? { policy: options.policy } : {}), ...(options.now ? { now: options.now } : {}) });
  const ctx = platform.ctx;
  const boot = JSON.parse(fs.readFileSync(platform.bootstrapFile, 'utf8')) as { apiKey: string };
  const regulator = authenticate(ctx, boot.apiKey);
  const admitted = (kind: 'fintech' | 'bank' | 'channel') => {
    const { id } = applyOrg(ctx, { name: `${kind} ${seq++}`, kind, uscc: '91350100M000100Y43' });
    return authenticate(ctx, admitOrg(ctx, regulator, id).apiKey);
  };
  const fintech = admitted('fintech');
  const bank = admitted('bank');
  const channel = admitted('channel');
  const pkg = readPackage(REFERENCE);
  const sub = await submitModel(ctx, fintech, { manifest: pkg.manifestJson as Record<string, unknown>, source: pkg.source });
  approveModel(ctx, regulator, sub.id, {});
  const acc = requestAccess(ctx, bank, sub.id, 'credit-assessment');
  grantAccess(ctx, fintech, acc.id);
  return { dir, platform, regulator, fintech, bank, channel, modelId: sub.id, accessPurpose: 'credit-assessment' };
}

/** An aggregate run, awaited until its answer is available (as a client polling GET /v1/runs/:id would). */
export async function aggregate(w: World, org: Org, req: Omit<AggregateRequest, 'mode'>): Promise<RunAnswer> {
  const first = await runAggregate(w.platform.ctx, org, { mode: 'aggregate', ...req });
  return first.status === 'running' ? answerOf(w.platform.ctx, org, first.runId, getRun) : first;
}
