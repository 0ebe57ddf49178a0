// 监管驾驶舱: admission queue, model review with source, runs by mode and status, budget by
// entity, the executor's confinement posture and the ledger's health.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { get, post, qs, type Page } from '../api';
import { Chart } from '../chart';
import { useT } from '../i18n';
import { SourceLines, VersionDiff, type SourceAnswer } from '../source-view';
import { Checks, ErrorNote, More, Section, Status, Table, useAction, useLoad, usePaged, when, type Report } from '../ui';
import { BudgetChart, EncryptedPanel, LedgerPanel } from './oversight';

interface OrgRow {
  id: string;
  name: string;
  uscc: string;
  kind: string;
  status: string;
  createdAt: string;
}
interface ModelRow {
  id: string;
  name: string | null;
  version: string | null;
  providerName: string;
  digest: string;
  status: string;
  approval: { stage: 'evaluation' | 'production' | null; expiresAt: string } | null;
  createdAt: string;
}
interface Overview {
  runs: Record<string, number>;
  budget: { byEntityAndLineage: { entity: string; lineage: string; spentMicros: number }[] };
  confinement: Record<string, unknown>;
  ledger: { size: number; checkpoint: number };
}
interface RunRow {
  runId: string;
  mode: string;
  modelName: string | null;
  requesterName: string | null;
  status: string;
  requestedAt: string;
}

interface Shared {
  /** Bumped after any decision, so every section shows the state after it. */
  version: number;
  changed: () => void;
}

function Admission({ version, changed }: Shared) {
  const t = useT();
  const list = useLoad(() => get<Page<OrgRow>>('/v1/orgs?status=pending&limit=200'), [version]);
  const [issued, setIssued] = useState<{ name: string; apiKey: string } | null>(null);
  const { error, act } = useAction(changed);
  return (
    <Section title={t('reg.admission')} id="admission" actions={<button onClick={list.reload}>{t('common.refresh')}</button>}>
      <ErrorNote code={list.error ?? error} />
      {issued && (
        <div class="notice" role="status">
          <p>
            {t('reg.admitted')}: <strong>{issued.name}</strong>
          </p>
          <p>{t('reg.keyShown')}</p>
          <code class="secret" data-testid="issued-key">
            {issued.apiKey}
          </code>
          <button onClick={() => setIssued(null)}>{t('common.close')}</button>
        </div>
      )}
      <Table
        caption={t('reg.admission')}
        rows={list.data?.items}
        rowKey={(r) => r.id}
        cols={[
          { head: t('common.name'), cell: (r) => r.name },
          { head: t('reg.kind'), cell: (r) => t(`kind.${r.kind}` as 'kind.bank') },
          { head: t('reg.uscc'), cell: (r) => <code>{r.uscc}</code> },
          { head: t('common.created'), cell: (r) => when(r.createdAt) },
          {
            head: t('common.actions'),
            cell: (r) => (
              <span class="actions">
                <button
                  class="primary"
                  aria-label={`${t('reg.admit')} ${r.name}`}
                  onClick={() => act(async () => setIssued({ name: r.name, apiKey: (await post<{ apiKey: string }>(`/v1/orgs/${r.id}/admit`)).apiKey }))}
                >
                  {t('reg.admit')}
                </button>
                <button
                  aria-label={`${t('reg.reject')} ${r.name}`}
                  onClick={() => {
                    const reason = window.prompt(t('common.reason'));
                    if (reason) void act(() => post(`/v1/orgs/${r.id}/reject`, { reason }));
                  }}
                >
                  {t('reg.reject')}
                </button>
              </span>
            ),
          },
        ]}
      />
    </Section>
  );
}

function Organisations({ version, changed }: Shared) {
  const t = useT();
  const [status, setStatus] = useState('');
  const [kind, setKind] = useState('');
  const list = usePaged<OrgRow>(`/v1/orgs${qs({ status, kind, limit: 50 })}`, version);
  const { error, act } = useAction(changed);
  const withReason = (url: string) => {
    const reason = window.prompt(t('common.reason'));
    if (reason) void act(() => post(url, { reason }));
  };
  return (
    <Section title={t('reg.orgs')} id="orgs" actions={<button onClick={list.reload}>{t('common.refresh')}</button>}>
      <div class="form-row">
        <label for="org-status">{t('common.status')}</label>
        <select id="org-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
          <option value="">{t('common.all')}</option>
          {['pending', 'admitted', 'suspended', 'rejected'].map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}` as 'status.pending')}
            </option>
          ))}
        </select>
        <label for="org-kind">{t('reg.kind')}</label>
        <select id="org-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
          <option value="">{t('common.all')}</option>
          {['fintech', 'bank', 'channel', 'regulator'].map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}` as 'kind.bank')}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote code={list.error ?? error} />
      <Table
        caption={t('reg.orgs')}
        rows={list.items}
        rowKey={(r) => r.id}
        cols={[
          { head: t('common.name'), cell: (r) => r.name },
          { head: t('reg.kind'), cell: (r) => t(`kind.${r.kind}` as 'kind.bank') },
          { head: t('reg.uscc'), cell: (r) => <code>{r.uscc || '-'}</code> },
          { head: t('common.status'), cell: (r) => <Status value={r.status} /> },
          { head: t('common.created'), cell: (r) => when(r.createdAt) },
          {
            head: t('common.actions'),
            cell: (r) =>
              r.kind === 'regulator' ? (
                '-'
              ) : r.status === 'admitted' ? (
                <button aria-label={`${t('reg.suspend')} ${r.name}`} onClick={() => withReason(`/v1/orgs/${r.id}/suspend`)}>
                  {t('reg.suspend')}
                </button>
              ) : r.status === 'suspended' ? (
                <button aria-label={`${t('reg.reinstate')} ${r.name}`} onClick={() => withReason(`/v1/orgs/${r.id}/reinstate`)}>
                  {t('reg.reinstate')}
                </button>
              ) : (
                '-'
              ),
          },
        ]}
      />
      <More paged={list} />
    </Section>
  );
}

function Review({ version, changed }: Shared) {
  const t = useT();
  // awaiting a decision: vetted models (evaluation or production), and models in evaluation
  // (production or reject)
  const list = useLoad(async () => {
    const [vetted, approved] = await Promise.all([get<Page<ModelRow>>('/v1/models?status=vetted&limit=200'), get<Page<ModelRow>>('/v1/models?status=approved&limit=200')]);
    return { items: [...vetted.items, ...approved.items.filter((m) => m.approval?.stage === 'evaluation')] };
  }, [version]);
  const [open, setOpen] = useState<SourceAnswer | null>(null);
  const { error, setError, act: run } = useAction(changed);
  const act = (fn: () => Promise<unknown>) => run(async () => {
    await fn();
    setOpen(null);
  });
  return (
    <Section title={t('reg.review')} id="review" actions={<button onClick={list.reload}>{t('common.refresh')}</button>}>
      <ErrorNote code={list.error ?? error} />
      <Table
        caption={t('reg.review')}
        rows={list.data?.items}
        rowKey={(r) => r.id}
        cols={[
          { head: t('common.model'), cell: (r) => `${r.name ?? r.id} ${r.version ?? ''}` },
          { head: t('common.provider'), cell: (r) => r.providerName },
          { head: 'digest', cell: (r) => <code title={r.digest}>{r.digest.slice(7, 19)}…</code> },
          { head: t('common.created'), cell: (r) => when(r.createdAt) },
          { head: t('reg.stage'), cell: (r) => (r.approval?.stage === 'evaluation' ? t('reg.stageEvaluation') : t('status.vetted')) },
          {
            head: t('common.actions'),
            cell: (r) => (
              <span class="actions">
                <button
                  aria-label={`${t('reg.source')} ${r.name ?? r.id} ${r.version ?? ''}`}
                  onClick={async () => {
                    setError(null);
                    try {
                      setOpen(await get<SourceAnswer>(`/v1/models/${r.id}/source`));
                    } catch (e) {
                      setError((e as { code?: string }).code ?? String(e));
                    }
                  }}
                >
                  {t('reg.source')}
                </button>
                {r.status === 'vetted' && (
                  <button onClick={() => act(() => post(`/v1/models/${r.id}/approve`, { stage: 'evaluation' }))}>{t('reg.approveEvaluation')}</button>
                )}
                <button class="primary" onClick={() => act(() => post(`/v1/models/${r.id}/approve`, { stage: 'production' }))}>
                  {t('reg.approveProduction')}
                </button>
                <button
                  onClick={() => {
                    const reason = window.prompt(t('common.reason'));
                    if (reason) void act(() => post(`/v1/models/${r.id}/reject`, { reason }));
                  }}
                >
                  {t('reg.reject')}
                </button>
              </span>
            ),
          },
        ]}
      />
      {open && (
        <div class="source">
          <h3>
            {t('reg.sourceTitle')}: <code>{open.id}</code>
          </h3>
          <h4>{t('reg.checks')}</h4>
          <Checks report={open.report as Report} />
          <VersionDiff answer={open} />
          <SourceLines answer={open} />
          <button onClick={() => setOpen(null)}>{t('common.close')}</button>
        </div>
      )}
    </Section>
  );
}

function Dashboard({ version }: { version: number }) {
  const t = useT();
  const ov = useLoad(() => get<Overview>('/v1/regulator/overview'), [version]);
  const runs = usePaged<RunRow>('/v1/runs?limit=20', version);
  // budgets are kept per legal entity (USCC): named after its organisations
  const orgs = useLoad(() => get<Page<OrgRow>>('/v1/orgs?limit=200'), [version]);
  const entityName = (uscc: string) => [...new Set((orgs.data?.items ?? []).filter((o) => o.uscc === uscc || o.id === uscc).map((o) => o.name))].join(' / ');
  const data = ov.data;
  const modes = ['aggregate', 'subjects', 'encrypted'];
  const statuses = ['released', 'denied', 'failed', 'running', 'interrupted'];
  const option = data && {
    tooltip: {},
    legend: { top: 0, data: statuses.map((s) => t(`status.${s}` as 'status.released')) },
    grid: { left: 40, right: 10, top: 64, bottom: 30 },
    xAxis: { type: 'category', data: modes },
    yAxis: { type: 'value', minInterval: 1 },
    series: statuses.map((s) => ({ type: 'bar', stack: 'runs', name: t(`status.${s}` as 'status.released'), data: modes.map((m) => data.runs[`${m}:${s}`] ?? 0) })),
  };
  const ledgerOk = data && data.ledger.checkpoint >= data.ledger.size;
  return (
    <>
      <ErrorNote code={ov.error} />
      <div class="grid">
        <Section title={t('reg.runs')} id="runs-chart">
          {option ? <Chart option={option} label={t('reg.runs')} /> : <p class="muted">{t('common.loading')}</p>}
        </Section>
        <Section title={t('reg.ledger')} id="ledger">
          {data && (
            <dl>
              <dt>{t('reg.ledgerSize')}</dt>
              <dd>{data.ledger.size}</dd>
              <dt>{t('reg.checkpoint')}</dt>
              <dd>{data.ledger.checkpoint}</dd>
              <dd class={`span ${ledgerOk ? 'ok' : 'muted'}`}>{ledgerOk ? t('reg.ledgerOk') : t('reg.ledgerLag', { n: data.ledger.size - data.ledger.checkpoint })}</dd>
            </dl>
          )}
        </Section>
        <Section title={t('reg.confinement')} id="confinement">
          {data && (
            <dl data-testid="confinement">
              {Object.entries(data.confinement).map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd>{typeof v === 'string' ? v : <code>{JSON.stringify(v)}</code>}</dd>
                </Fragment>
              ))}
            </dl>
          )}
        </Section>
        <Section title={t('reg.budget')} id="budget">
          <Table
            caption={t('reg.budget')}
            rows={data?.budget.byEntityAndLineage}
            rowKey={(r) => `${r.entity}/${r.lineage}`}
            cols={[
              {
                head: t('reg.entity'),
                cell: (r) => (
                  <>
                    {entityName(r.entity) || '-'} <code>{r.entity}</code>
                  </>
                ),
              },
              { head: 'lineage', cell: (r) => r.lineage },
              { head: t('reg.spent'), cell: (r) => r.spentMicros.toLocaleString() },
            ]}
          />
        </Section>
      </div>
      <Section title={t('reg.recentRuns')} id="recent-runs">
        <Table
          caption={t('reg.recentRuns')}
          rows={runs.items}
          rowKey={(r) => r.runId}
          cols={[
            { head: t('common.id'), cell: (r) => <code>{r.runId}</code> },
            { head: t('reg.requester'), cell: (r) => r.requesterName ?? '-' },
            { head: t('common.model'), cell: (r) => r.modelName ?? '-' },
            { head: t('reg.mode'), cell: (r) => r.mode },
            { head: t('common.status'), cell: (r) => <Status value={r.status} /> },
            { head: t('common.created'), cell: (r) => when(r.requestedAt) },
          ]}
        />
        <More paged={runs} />
      </Section>
    </>
  );
}

export function RegulatorPage() {
  const [version, setVersion] = useState(0);
  const shared: Shared = { version, changed: () => setVersion((v) => v + 1) };
  return (
    <>
      <Admission {...shared} />
      <Review {...shared} />
      <Dashboard version={version} />
      <BudgetChart version={version} />
      <EncryptedPanel version={version} />
      <LedgerPanel version={version} />
      <Organisations {...shared} />
    </>
  );
}
