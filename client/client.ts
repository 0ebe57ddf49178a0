// The typed client of the DFIX API: one method per operation the members use, its
// argument and answer types inferred from the zod schemas the server validates requests
// and serialises answers with (never a second copy of a type). Everything here is imported
// as a type, so at run time the client is fetch and nothing else: it runs in Node 20 and in
// a browser alike. Errors are thrown as ApiError (code, status, requestId).
import type { z } from 'zod';
import type { datasetsAnswer, dummyRows, fieldsAnswer } from '../datasets/datasets.schema.js';
import type { checkpointAnswer, consistencyAnswer, entriesAnswer, inclusionAnswer } from '../ledger/api.schema.js';
import type { accessDecisionAnswer, accessRequestedAnswer } from '../sandbox/access.schema.js';
import type { accessRequestSchema, grantSchema } from '../sandbox/access.js';
import type { budgetAnswer, refreshAnswer } from '../sandbox/budget.schema.js';
import type { refreshSchema } from '../sandbox/budget.js';
import type { consentRecordedAnswer, consentRevokedAnswer, consentsRevokedAnswer } from '../sandbox/consents.schema.js';
import type { consentSchema } from '../sandbox/consents.js';
import type { inboxQuery } from '../sandbox/inbox.js';
import type { accessPage, consentPage, inboxAnswer, keyPage, meAnswer, modelPage, orgPage, runPage, sourceAnswer } from '../sandbox/lists.schema.js';
import type { accessListQuery, consentListQuery, keyListQuery, modelListQuery, orgListQuery, runListQuery } from '../sandbox/lists.js';
import type { catalogAnswer, modelAnswer, modelDecisionAnswer, modelRecord, publicCard, submissionAnswer } from '../sandbox/models.schema.js';
import type { approvalSchema, submissionSchema } from '../sandbox/models.js';
import type { admissionAnswer, applicationAnswer, orgDecisionAnswer } from '../sandbox/orgs.schema.js';
import type { orgApplicationSchema } from '../sandbox/orgs.js';
import type { overviewAnswer } from '../sandbox/overview.schema.js';
import type { encryptedUseAnswer, encryptedUseQuery, ledgerPage, ledgerPageQuery } from '../sandbox/oversight.js';
import type { modelUsageAnswer, usageAnswer, usageQuery } from '../sandbox/usage.js';
import type { aggregateRequestSchema } from '../sandbox/run/aggregate.js';
import type { encryptedRequestSchema } from '../sandbox/run/encrypted.js';
import type { keyRegisteredAnswer, RunAnswer } from '../sandbox/run/run.schema.js';
import type { subjectsRequestSchema } from '../sandbox/run/subjects.js';
import type { encryptionParametersSchema } from '../server/routes/encryption.js';
import { ApiClient, qs } from './http.js';

export { ApiClient, ApiError, qs, type Answer, type ClientOptions, type ErrorBody } from './http.js';
export type { RunAnswer };

type Out<T extends z.ZodType> = z.output<T>;
type In<T extends z.ZodType> = z.input<T>;

export type Me = Out<typeof meAnswer>;
export type ModelRecord = Out<typeof modelRecord>;
export type PublicCard = Out<typeof publicCard>;
export type ModelAnswer = Out<typeof modelAnswer>;
export type Submission = In<typeof submissionSchema>;
export type SubmissionAnswer = Out<typeof submissionAnswer>;
export type AggregateRequest = In<typeof aggregateRequestSchema>;
export type SubjectsRequest = In<typeof subjectsRequestSchema>;
export type EncryptedRequest = In<typeof encryptedRequestSchema>;
export type RunRequest = AggregateRequest | SubjectsRequest | EncryptedRequest;
export type AggregateResult = NonNullable<RunAnswer['result']>;
export type Overview = Out<typeof overviewAnswer>;
export type EncryptionParameters = Out<typeof encryptionParametersSchema>;

const id = (s: string) => encodeURIComponent(s);

/** The DFIX API, typed. `new DfixClient({ baseUrl, apiKey })`. */
export class DfixClient extends ApiClient {
  // anyone
  health = () => this.get<{ ok: true }>('/healthz');
  apply = (a: In<typeof orgApplicationSchema>) => this.post<Out<typeof applicationAnswer>>('/v1/orgs', a);

  // any admitted organisation
  me = () => this.get<Me>('/v1/me');
  datasets = () => this.get<Out<typeof datasetsAnswer>>('/v1/datasets');
  fields = (dataset: string) => this.get<Out<typeof fieldsAnswer>>(`/v1/datasets/${id(dataset)}/fields`);
  dummy = (dataset: string, subjects?: number) => this.get<Out<typeof dummyRows>>(`/v1/datasets/${id(dataset)}/dummy${qs({ subjects })}`);
  catalog = (tag?: string) => this.get<Out<typeof catalogAnswer>>(`/v1/catalog${qs({ tag })}`);
  model = (modelId: string) => this.get<ModelAnswer>(`/v1/models/${id(modelId)}`);
  modelSource = (modelId: string) => this.get<Out<typeof sourceAnswer>>(`/v1/models/${id(modelId)}/source`);
  budget = () => this.get<Out<typeof budgetAnswer>>('/v1/budget');
  encryptionParameters = () => this.get<EncryptionParameters>('/v1/encryption/parameters');
  inbox = (q: In<typeof inboxQuery> = {}) => this.get<Out<typeof inboxAnswer>>(`/v1/inbox${qs(q)}`);
  orgs = (q: In<typeof orgListQuery> = {}) => this.get<Out<typeof orgPage>>(`/v1/orgs${qs(q)}`);
  models = (q: In<typeof modelListQuery> = {}) => this.get<Out<typeof modelPage>>(`/v1/models${qs(q)}`);
  access = (q: In<typeof accessListQuery> = {}) => this.get<Out<typeof accessPage>>(`/v1/access${qs(q)}`);
  runs = (q: In<typeof runListQuery> = {}) => this.get<Out<typeof runPage>>(`/v1/runs${qs(q)}`);
  consents = (q: In<typeof consentListQuery> = {}) => this.get<Out<typeof consentPage>>(`/v1/consents${qs(q)}`);
  keys = (q: In<typeof keyListQuery> = {}) => this.get<Out<typeof keyPage>>(`/v1/keys${qs(q)}`);

  // runs: POST answers 202 (status running) until availableAt for aggregates
  run = (r: RunRequest) => this.post<RunAnswer>('/v1/runs', r);
  getRun = (runId: string) => this.get<RunAnswer>(`/v1/runs/${id(runId)}`);
  /** Posts a run and returns its answer once available (polls GET /v1/runs/:id at availableAt). */
  runAndWait = async (r: RunRequest, onWaiting?: (availableAt: string) => void) => this.waitForRun(await this.run(r), onWaiting);

  // the ledger
  checkpoint = () => this.get<Out<typeof checkpointAnswer>>('/v1/ledger/checkpoint');
  inclusion = (index: number, size: number) => this.get<Out<typeof inclusionAnswer>>(`/v1/ledger/proofs/inclusion${qs({ index, size })}`);
  consistency = (from: number, to: number) => this.get<Out<typeof consistencyAnswer>>(`/v1/ledger/proofs/consistency${qs({ from, to })}`);

  // fintechs
  submitModel = (s: Submission) => this.post<SubmissionAnswer>('/v1/models', s);
  grantAccess = (accessId: string, terms: In<typeof grantSchema> = {}) => this.post<Out<typeof accessDecisionAnswer>>(`/v1/access/${id(accessId)}/grant`, terms);
  denyAccess = (accessId: string, reason: string) => this.post<Out<typeof accessDecisionAnswer>>(`/v1/access/${id(accessId)}/deny`, { reason });
  /** Each of this fintech's models with the runs requested on it, by mode. */
  modelUsage = () => this.get<Out<typeof modelUsageAnswer>>('/v1/models/usage');

  // banks
  registerKey = (publicKeyBase64: string) => this.post<Out<typeof keyRegisteredAnswer>>('/v1/keys', { publicKey: publicKeyBase64 });
  requestAccess = (modelId: string, purpose: In<typeof accessRequestSchema>['purpose']) => this.post<Out<typeof accessRequestedAnswer>>(`/v1/models/${id(modelId)}/access`, { purpose });

  // channels
  recordConsent = (c: In<typeof consentSchema>) => this.post<Out<typeof consentRecordedAnswer>>('/v1/consents', c);
  revokeConsent = (consentId: string) => this.del<Out<typeof consentRevokedAnswer>>(`/v1/consents/${id(consentId)}`);
  /** Every consent of the merchant this channel recorded and not yet revoked, revoked at once. */
  revokeAllConsents = (subject: string) => this.del<Out<typeof consentsRevokedAnswer>>(`/v1/consents${qs({ subject })}`);
  merchantUsage = (q: In<typeof usageQuery>) => this.get<Out<typeof usageAnswer>>(`/v1/merchants/usage${qs(q)}`);

  // the regulator
  admitOrg = (orgId: string) => this.post<Out<typeof admissionAnswer>>(`/v1/orgs/${id(orgId)}/admit`);
  suspendOrg = (orgId: string, reason: string) => this.post<Out<typeof orgDecisionAnswer>>(`/v1/orgs/${id(orgId)}/suspend`, { reason });
  rejectOrg = (orgId: string, reason: string) => this.post<Out<typeof orgDecisionAnswer>>(`/v1/orgs/${id(orgId)}/reject`, { reason });
  reinstateOrg = (orgId: string, reason: string) => this.post<Out<typeof orgDecisionAnswer>>(`/v1/orgs/${id(orgId)}/reinstate`, { reason });
  approveModel = (modelId: string, a: In<typeof approvalSchema> = {}) => this.post<Out<typeof modelDecisionAnswer>>(`/v1/models/${id(modelId)}/approve`, a);
  rejectModel = (modelId: string, reason: string) => this.post<Out<typeof modelDecisionAnswer>>(`/v1/models/${id(modelId)}/reject`, { reason });
  revokeModel = (modelId: string, reason: string) => this.post<Out<typeof modelDecisionAnswer>>(`/v1/models/${id(modelId)}/revoke`, { reason });
  ledgerEntries = (start?: number, end?: number) => this.get<Out<typeof entriesAnswer>>(`/v1/ledger/entries${qs({ start, end })}`);
  refreshBudget = (r: In<typeof refreshSchema>) => this.post<Out<typeof refreshAnswer>>('/v1/budget/refresh', r);
  overview = () => this.get<Overview>('/v1/regulator/overview');
  regulatorLedger = (q: In<typeof ledgerPageQuery> = {}) => this.get<Out<typeof ledgerPage>>(`/v1/regulator/ledger${qs(q)}`);
  encryptedUse = (q: In<typeof encryptedUseQuery> = {}) => this.get<Out<typeof encryptedUseAnswer>>(`/v1/regulator/encrypted${qs(q)}`);
}
