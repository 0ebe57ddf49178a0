// 模型工作台: the fintech's models and vetting reports, access requests to decide, a
// backtest on the real data with its chart (bad rate and merchants per score band), and its
// privacy budget left with the runs on its models by mode (counts only).
import { useState } from 'preact/hooks';
import { ApiError, get, post, runAndWait, type Page } from '../api';
import { Chart } from '../chart';
import { useT } from '../i18n';
import { Checks, ErrorNote, MyRuns, Section, Status, Table, useAction, useLoad, when, type Report } from '../ui';

interface ModelRow {
  id: string;
  name: string | null;
  version: string | null;
  digest: string;
  status: string;
  createdAt: string;
}
interface AccessRow {
  id: string;
  modelName: string | null;
  bankName: string;
  purpose: string;
  createdAt: string;
}
interface Band {
  label: string;
  count: number | null;
  badRate: number | null;
}
interface RunAnswer {
  runId: string;
  status: string;
  availableAt: string;
  result?: { count?: number; backtest?: { auc: number | null; ks: number | null; bands: Band[] } | null } | null;
  decisions: { rule: string; status: string }[];
}

function Backtest({ models }: { models: ModelRow[] }) {
  const t = useT();
  const approved = models.filter((m) => m.status === 'approved');
  const [model, setModel] = useState('');
  const [waiting, setWaiting] = useState<string | null>(null);
  const [answer, setAnswer] = useState<RunAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setError(null);
    setAnswer(null);
    try {
      setWaiting(new Date().toISOString());
      setAnswer(await runAndWait<RunAnswer>({ mode: 'aggregate', modelId: model || approved[0]?.id, cohort: {}, statistics: ['count', 'backtest'] }, setWaiting));
    } catch (e) {
      setError(e instanceof ApiError ? e.code : String(e));
    }
    setWaiting(null);
  };
  if (approved.length === 0) return <p class="muted">{t('fin.noApproved')}</p>;
  const bt = answer?.result?.backtest;
  return (
    <div>
      <div class="form-row">
        <label for="bt-model">{t('common.model')}</label>
        <select id="bt-model" value={model || approved[0]?.id} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
          {approved.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} {m.version} ({m.id})
            </option>
          ))}
        </select>
        <button class="primary" disabled={waiting !== null} onClick={run}>
          {t('fin.run')}
        </button>
      </div>
      <ErrorNote code={error} />
      {waiting && <p role="status">{t('fin.waiting', { at: when(waiting) })}</p>}
      {answer && (
        <div role="status">
          <p>
            <Status value={answer.status} /> {t('fin.count')}: {answer.result?.count ?? '-'} · {t('fin.auc')}: {bt?.auc ?? '-'} · {t('fin.ks')}: {bt?.ks ?? '-'}
          </p>
          {answer.status === 'denied' && <p>{answer.decisions.filter((d) => d.status === 'FAIL').map((d) => d.rule).join(', ')}</p>}
          {bt && (
            <Chart
              label={t('fin.backtest')}
              option={{
                tooltip: { trigger: 'axis' },
                legend: { top: 0, data: [t('fin.count'), t('fin.badRate')] },
                grid: { left: 50, right: 50, top: 40, bottom: 30 },
                xAxis: { type: 'category', data: bt.bands.map((b) => b.label) },
                yAxis: [{ type: 'value', name: t('fin.count') }, { type: 'value', name: t('fin.badRate'), min: 0 }],
                series: [
                  { type: 'bar', name: t('fin.count'), data: bt.bands.map((b) => b.count) },
                  { type: 'line', name: t('fin.badRate'), yAxisIndex: 1, data: bt.bands.map((b) => b.badRate) },
                ],
              }}
            />
          )}
        </div>
      )}
    </div>
  );
}

interface BudgetLine {
  lineage: string;
  spentMicros: number;
  limitMicros: number;
  remainingMicros: number;
}
interface ModelUse {
  model: string;
  name: string | null;
  version: string | null;
  status: string;
  runs: { aggregate: number; subjects: number; encrypted: number };
}

const epsilon = (micros: number) => (micros / 1e6).toLocaleString(undefined, { maximumFractionDigits: 6 });

/** GET /v1/budget and GET /v1/models/usage: what is left to spend, and how much its models ran. */
function Usage({ version }: { version: number }) {
  const t = useT();
  const budget = useLoad(() => get<BudgetLine[]>('/v1/budget'), [version]);
  const usage = useLoad(() => get<{ items: ModelUse[] }>('/v1/models/usage'), [version]);
  return (
    <>
      <ErrorNote code={budget.error ?? usage.error} />
      <Table
        caption={t('fin.budgetLeft')}
        rows={budget.data}
        rowKey={(r) => r.lineage}
        cols={[
          { head: t('fin.lineage'), cell: (r) => r.lineage },
          { head: t('fin.remaining'), cell: (r) => <strong>{epsilon(r.remainingMicros)}</strong> },
          { head: t('fin.spent'), cell: (r) => epsilon(r.spentMicros) },
          { head: t('fin.limit'), cell: (r) => epsilon(r.limitMicros) },
        ]}
      />
      <Table
        caption={t('fin.modelUsage')}
        rows={usage.data?.items}
        rowKey={(r) => r.model}
        cols={[
          { head: t('common.model'), cell: (r) => `${r.name ?? r.model} ${r.version ?? ''}` },
          { head: t('common.status'), cell: (r) => <Status value={r.status} /> },
          { head: 'aggregate', cell: (r) => r.runs.aggregate },
          { head: 'subjects', cell: (r) => r.runs.subjects },
          { head: 'encrypted', cell: (r) => r.runs.encrypted },
        ]}
      />
    </>
  );
}

interface Submitted {
  id: string;
  status: string;
  report: Report;
}

/** Submit a model package: its manifest.json and model.js, read in the browser and sent as JSON. */
function Submit({ onSubmitted }: { onSubmitted: () => void }) {
  const t = useT();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Submitted | null>(null);
  return (
    <form
      class="form-col"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget as HTMLFormElement;
        const manifestFile = (form.elements.namedItem('manifest') as HTMLInputElement).files?.[0];
        const sourceFile = (form.elements.namedItem('source') as HTMLInputElement).files?.[0];
        if (!manifestFile || !sourceFile) return;
        setError(null);
        setDone(null);
        setBusy(true);
        try {
          let manifest: unknown;
          try {
            manifest = JSON.parse(await manifestFile.text());
          } catch {
            throw new ApiError(400, 'MANIFEST_NOT_JSON');
          }
          setDone(await post<Submitted>('/v1/models', { manifest, source: await sourceFile.text() }));
          onSubmitted();
        } catch (err) {
          setError(err instanceof ApiError ? err.code : String(err));
        }
        setBusy(false);
      }}
    >
      <label for="sub-manifest">{t('fin.manifest')}</label>
      <input id="sub-manifest" name="manifest" type="file" accept=".json,application/json" required />
      <label for="sub-source">{t('fin.source')}</label>
      <input id="sub-source" name="source" type="file" accept=".js,text/javascript" required />
      <div>
        <button class="primary" type="submit" disabled={busy}>
          {busy ? t('fin.vetting') : t('fin.submit')}
        </button>
      </div>
      <ErrorNote code={error} />
      {done && (
        <div role="status">
          <p>
            <code>{done.id}</code> <Status value={done.status} />
          </p>
          <Checks report={done.report} />
        </div>
      )}
    </form>
  );
}

export function FintechPage() {
  const t = useT();
  const models = useLoad(() => get<Page<ModelRow>>('/v1/models?limit=200'));
  const access = useLoad(() => get<Page<AccessRow>>('/v1/access?status=requested&limit=200'));
  const [report, setReport] = useState<{ id: string; report: Report } | null>(null);
  const [usageVersion, setUsageVersion] = useState(0);
  const { error, act } = useAction(() => access.reload());
  return (
    <>
      <Section title={t('fin.models')} id="models" actions={<button onClick={models.reload}>{t('common.refresh')}</button>}>
        <ErrorNote code={models.error} />
        <Table
          caption={t('fin.models')}
          rows={models.data?.items}
          rowKey={(r) => r.id}
          cols={[
            { head: t('common.model'), cell: (r) => `${r.name ?? r.id} ${r.version ?? ''}` },
            { head: t('common.id'), cell: (r) => <code>{r.id}</code> },
            { head: t('common.status'), cell: (r) => <Status value={r.status} /> },
            { head: t('common.created'), cell: (r) => when(r.createdAt) },
            { head: t('common.actions'), cell: (r) => <button onClick={() => act(async () => setReport(await get<{ id: string; report: Report }>(`/v1/models/${r.id}`)))}>{t('fin.report')}</button> },
          ]}
        />
        {report && (
          <div class="source">
            <h3>
              {t('fin.report')}: <code>{report.id}</code>
            </h3>
            <Checks report={report.report} />
            <button onClick={() => setReport(null)}>{t('common.close')}</button>
          </div>
        )}
      </Section>
      <Section title={t('fin.submitTitle')} id="submit">
        <Submit onSubmitted={models.reload} />
      </Section>
      <Section title={t('fin.access')} id="access" actions={<button onClick={access.reload}>{t('common.refresh')}</button>}>
        <ErrorNote code={access.error ?? error} />
        <Table
          caption={t('fin.access')}
          rows={access.data?.items}
          rowKey={(r) => r.id}
          cols={[
            { head: t('common.bank'), cell: (r) => r.bankName },
            { head: t('common.model'), cell: (r) => r.modelName ?? '-' },
            { head: t('common.purpose'), cell: (r) => r.purpose },
            { head: t('common.created'), cell: (r) => when(r.createdAt) },
            {
              head: t('common.actions'),
              cell: (r) => (
                <span class="actions">
                  <button class="primary" onClick={() => act(() => post(`/v1/access/${r.id}/grant`, {}))}>
                    {t('fin.grant')}
                  </button>
                  <button
                    onClick={() => {
                      const reason = window.prompt(t('common.reason'));
                      if (reason) void act(() => post(`/v1/access/${r.id}/deny`, { reason }));
                    }}
                  >
                    {t('fin.deny')}
                  </button>
                </span>
              ),
            },
          ]}
        />
      </Section>
      <Section title={t('fin.usageTitle')} id="usage" actions={<button onClick={() => setUsageVersion((v) => v + 1)}>{t('common.refresh')}</button>}>
        <Usage version={usageVersion} />
      </Section>
      <Section title={t('fin.backtest')} id="backtest">
        {models.data ? <Backtest models={models.data.items} /> : <p class="muted">{t('common.loading')}</p>}
      </Section>
      <MyRuns />
    </>
  );
}
