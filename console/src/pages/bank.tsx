// 银行: the catalog (request access), its access requests, and scoring merchant codes, pasted
// or read from an uploaded CSV file (only merchants who authorised the bank are scored; the
// rest are a count).
import { useState } from 'preact/hooks';
import { get, post, runAndWait, type Page } from '../api';
import { codesFromCsv } from '../csv-codes';
import { useT } from '../i18n';
import { ErrorNote, MyRuns, Section, Status, Table, useAction, useLoad, when } from '../ui';

interface Card {
  id: string;
  providerName: string;
  manifest: { name?: string; version?: string; description?: string; purpose?: string };
}
interface AccessRow {
  id: string;
  model: string;
  modelName: string | null;
  providerName: string;
  purpose: string;
  status: string;
  createdAt: string;
}
interface KeyRow {
  id: string;
  digest: string;
  createdAt: string;
}
interface Scored {
  subject: string;
  score: number;
  grade: string;
  reasons: string[];
}

export function BankPage() {
  const t = useT();
  const catalog = useLoad(() => get<Page<Card>>('/v1/models?limit=200'));
  const access = useLoad(() => get<Page<AccessRow>>('/v1/access?limit=200'));
  const keys = useLoad(() => get<Page<KeyRow>>('/v1/keys?limit=200'));
  const [codes, setCodes] = useState('');
  const [csv, setCsv] = useState<{ file: string; n: number; invalid: string[] } | null>(null);
  const [pick, setPick] = useState('');
  const [scored, setScored] = useState<{ results: Scored[]; notScored: number } | null>(null);
  const granted = (access.data?.items ?? []).filter((a) => a.status === 'granted');
  const { error, act } = useAction();
  const score = () =>
    act(async () => {
      const a = granted.find((g) => g.id === pick) ?? granted[0];
      if (!a) return;
      const subjects = [...new Set(codes.split(/[\s,;]+/).map((s) => s.trim().toUpperCase()).filter(Boolean))];
      setScored(await runAndWait<{ runId: string; status: string; availableAt: string; results: Scored[]; notScored: number }>({ mode: 'subjects', modelId: a.model, subjects, purpose: a.purpose }));
    });
  return (
    <>
      <Section title={t('bank.catalog')} id="catalog">
        <ErrorNote code={catalog.error ?? error} />
        <Table
          caption={t('bank.catalog')}
          rows={catalog.data?.items}
          rowKey={(r) => r.id}
          cols={[
            { head: t('common.model'), cell: (r) => `${r.manifest.name ?? r.id} ${r.manifest.version ?? ''}` },
            { head: t('common.provider'), cell: (r) => r.providerName },
            { head: t('common.purpose'), cell: (r) => r.manifest.purpose ?? '-' },
            { head: t('common.description'), cell: (r) => r.manifest.description ?? '' },
            {
              head: t('common.actions'),
              cell: (r) => (
                <button onClick={() => act(async () => (await post(`/v1/models/${r.id}/access`, { purpose: r.manifest.purpose ?? 'credit-assessment' }), access.reload()))}>{t('bank.request')}</button>
              ),
            },
          ]}
        />
      </Section>
      <Section title={t('bank.myAccess')} id="my-access" actions={<button onClick={access.reload}>{t('common.refresh')}</button>}>
        <Table
          caption={t('bank.myAccess')}
          rows={access.data?.items}
          rowKey={(r) => r.id}
          cols={[
            { head: t('common.model'), cell: (r) => r.modelName ?? r.model },
            { head: t('common.provider'), cell: (r) => r.providerName },
            { head: t('common.purpose'), cell: (r) => r.purpose },
            { head: t('common.status'), cell: (r) => <Status value={r.status} /> },
            { head: t('common.created'), cell: (r) => when(r.createdAt) },
          ]}
        />
      </Section>
      <Section title={t('bank.score')} id="score">
        <div class="form-col">
          <label for="score-access">{t('common.model')}</label>
          <select id="score-access" value={pick || granted[0]?.id} onChange={(e) => setPick((e.target as HTMLSelectElement).value)}>
            {granted.map((g) => (
              <option key={g.id} value={g.id}>
                {g.modelName ?? g.model} · {g.purpose}
              </option>
            ))}
          </select>
          <label for="score-codes">{t('bank.codes')}</label>
          <textarea id="score-codes" rows={5} value={codes} onInput={(e) => setCodes((e.target as HTMLTextAreaElement).value)} spellcheck={false} />
          <label for="score-csv">{t('bank.csv')}</label>
          <input
            id="score-csv"
            type="file"
            accept=".csv,text/csv,text/plain"
            onChange={async (e) => {
              const file = (e.target as HTMLInputElement).files?.[0];
              if (!file) return;
              // read and checked here: only well-formed codes reach the list, and the run
              const read = codesFromCsv(await file.text());
              setCsv({ file: file.name, n: read.codes.length, invalid: read.invalid });
              setCodes(read.codes.join('\n'));
            }}
          />
          {csv && (
            <div role="status" data-testid="csv-read">
              <p>{csv.n === 0 ? t('bank.csvEmpty') : t('bank.csvRead', { file: csv.file, n: csv.n })}</p>
              {csv.invalid.length > 0 && <p class="error">{t('bank.csvInvalid', { n: csv.invalid.length, codes: csv.invalid.slice(0, 10).join(', ') + (csv.invalid.length > 10 ? ' …' : '') })}</p>}
            </div>
          )}
          <div>
            <button class="primary" disabled={granted.length === 0 || codes.trim() === ''} onClick={score}>
              {t('bank.submit')}
            </button>
          </div>
        </div>
        {scored && (
          <div role="status" data-testid="scored">
            <Table
              caption={t('bank.score')}
              rows={scored.results}
              rowKey={(r) => r.subject}
              cols={[
                { head: t('bank.subject'), cell: (r) => <code>{r.subject}</code> },
                { head: t('bank.score.col'), cell: (r) => r.score },
                { head: t('bank.grade'), cell: (r) => r.grade },
                { head: t('bank.reasons'), cell: (r) => r.reasons.join(' ') || '-' },
              ]}
            />
            <p>{t('bank.notScored', { n: scored.notScored })}</p>
          </div>
        )}
      </Section>
      <MyRuns />
      <Section title={t('bank.keys')} id="keys">
        <ErrorNote code={keys.error} />
        <Table
          caption={t('bank.keys')}
          rows={keys.data?.items}
          rowKey={(r) => r.id}
          cols={[
            { head: t('common.id'), cell: (r) => <code>{r.id}</code> },
            { head: 'digest', cell: (r) => <code>{r.digest}</code> },
            { head: t('common.created'), cell: (r) => when(r.createdAt) },
          ]}
        />
      </Section>
    </>
  );
}
