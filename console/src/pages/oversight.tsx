// The regulator's oversight panels: budget spent by organisation and lineage (a chart),
// encrypted evaluations per bank and merchant, and the ledger with names and a verify button.
import { useState } from 'preact/hooks';
import { get, qs, type Page } from '../api';
import { Chart } from '../chart';
import { useT } from '../i18n';
import { entryLeaf, VerifyButton } from '../proof';
import { ErrorNote, More, Section, Table, useLoad, usePaged, when } from '../ui';

interface BudgetOverview {
  budget: {
    byEntityAndLineage: { entity: string; lineage: string; spentMicros: number }[];
    byLineage?: { lineage: string; spentMicros: number; merchantMaxMicros: number }[];
    perOrganisationMicros?: number;
    perMerchantCapMicros?: number;
  };
}

interface OrgName {
  id: string;
  name: string;
  uscc: string;
}

/** Budget spent per legal entity (named after its organisations), stacked by dataset lineage. */
export function BudgetChart({ version }: { version: number }) {
  const t = useT();
  const ov = useLoad(() => get<BudgetOverview>('/v1/regulator/overview'), [version]);
  const orgs = useLoad(() => get<Page<OrgName>>('/v1/orgs?limit=200'), [version]);
  const lines = ov.data?.budget.byEntityAndLineage;
  const entityName = (e: string) => [...new Set((orgs.data?.items ?? []).filter((o) => o.uscc === e || o.id === e).map((o) => o.name))].join(' / ') || e;
  const entities = [...new Set((lines ?? []).map((l) => l.entity))];
  const lineages = [...new Set((lines ?? []).map((l) => l.lineage))];
  const option = lines &&
    orgs.data && {
      tooltip: {},
      legend: { top: 0, data: lineages },
      grid: { left: 70, right: 10, top: 40, bottom: 60 },
      xAxis: { type: 'category', data: entities.map(entityName), axisLabel: { interval: 0, rotate: entities.length > 4 ? 20 : 0 } },
      yAxis: { type: 'value', name: t('reg.spent') },
      series: lineages.map((lin) => ({ type: 'bar', stack: 'spent', name: lin, data: entities.map((e) => lines.find((l) => l.entity === e && l.lineage === lin)?.spentMicros ?? 0) })),
    };
  const b = ov.data?.budget;
  return (
    <Section title={t('ov.budgetChart')} id="budget-chart">
      <ErrorNote code={ov.error ?? orgs.error} />
      {!lines ? <p class="muted">{t('common.loading')}</p> : lines.length === 0 ? <p class="muted">{t('common.empty')}</p> : option && <Chart option={option} label={t('ov.budgetChart')} />}
      {b?.byLineage && b.byLineage.length > 0 && (
        <Table
          caption={t('ov.lineages')}
          rows={b.byLineage}
          rowKey={(r) => r.lineage}
          cols={[
            { head: t('ov.lineages'), cell: (r) => <code>{r.lineage}</code> },
            { head: t('ov.lineageSpent'), cell: (r) => r.spentMicros.toLocaleString() },
            { head: t('ov.merchantMax'), cell: (r) => `${r.merchantMaxMicros.toLocaleString()} / ${(b.perMerchantCapMicros ?? 0).toLocaleString()}` },
            { head: t('ov.perOrg'), cell: () => (b.perOrganisationMicros ?? 0).toLocaleString() },
          ]}
        />
      )}
    </Section>
  );
}

interface EncryptedUse {
  since: string;
  byBank: { bank: string; bankName: string | null; runs: number; evaluations: number; merchants: number; mostOnOneMerchant: number }[];
  byMerchant: { subject: string; evaluations: number; banks: number }[];
  pairs: { bank: string; bankName: string | null; subject: string; evaluations: number; days: number }[];
}

/** Encrypted evaluations per bank and per bank-merchant pair: the weight-extraction signal. */
export function EncryptedPanel({ version }: { version: number }) {
  const t = useT();
  const [days, setDays] = useState('30');
  const use = useLoad(() => get<EncryptedUse>(`/v1/regulator/encrypted${qs({ days, top: 20 })}`), [version, days]);
  return (
    <Section title={t('ov.encrypted')} id="encrypted-use" actions={<button onClick={use.reload}>{t('common.refresh')}</button>}>
      <p class="muted">{t('ov.encryptedHint')}</p>
      <div class="form-row">
        <label for="enc-days">{t('ov.days')}</label>
        <select id="enc-days" value={days} onChange={(e) => setDays((e.target as HTMLSelectElement).value)}>
          {['1', '7', '30', '90', '366'].map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        {use.data && <span class="muted">{t('ov.since', { since: use.data.since })}</span>}
      </div>
      <ErrorNote code={use.error} />
      <h3>{t('ov.byBank')}</h3>
      <Table
        caption={t('ov.byBank')}
        rows={use.data?.byBank}
        rowKey={(r) => r.bank}
        cols={[
          { head: t('common.bank'), cell: (r) => r.bankName ?? <code>{r.bank}</code> },
          { head: t('ov.encRuns'), cell: (r) => r.runs },
          { head: t('ov.evaluations'), cell: (r) => r.evaluations },
          { head: t('ov.merchants'), cell: (r) => r.merchants },
          { head: t('ov.most'), cell: (r) => r.mostOnOneMerchant },
        ]}
      />
      <h3>{t('ov.byMerchant')}</h3>
      <Table
        caption={t('ov.byMerchant')}
        rows={use.data?.byMerchant}
        rowKey={(r) => r.subject}
        cols={[
          { head: t('bank.subject'), cell: (r) => <code>{r.subject}</code> },
          { head: t('ov.evaluations'), cell: (r) => r.evaluations },
          { head: t('ov.banks'), cell: (r) => r.banks },
        ]}
      />
      <h3>{t('ov.pairs')}</h3>
      <Table
        caption={t('ov.pairs')}
        rows={use.data?.pairs}
        rowKey={(r) => `${r.bank}/${r.subject}`}
        cols={[
          { head: t('common.bank'), cell: (r) => r.bankName ?? <code>{r.bank}</code> },
          { head: t('bank.subject'), cell: (r) => <code>{r.subject}</code> },
          { head: t('ov.evaluations'), cell: (r) => r.evaluations },
          { head: t('ov.daysCol'), cell: (r) => r.days },
        ]}
      />
    </Section>
  );
}

interface LedgerItem {
  seq: number;
  type: string;
  at: string;
  actor: string;
  entry: Record<string, unknown>;
  names: Record<string, string>;
}

/** The ledger, newest first, with names beside identifiers and a verify button per entry. */
export function LedgerPanel({ version }: { version: number }) {
  const t = useT();
  const list = usePaged<LedgerItem>('/v1/regulator/ledger?limit=20', version);
  return (
    <Section title={t('ov.ledger')} id="ledger-entries" actions={<button onClick={list.reload}>{t('common.refresh')}</button>}>
      <ErrorNote code={list.error} />
      <Table
        caption={t('ov.ledger')}
        rows={list.items}
        rowKey={(r) => String(r.seq)}
        cols={[
          { head: t('ov.seq'), cell: (r) => r.seq },
          { head: t('ov.time'), cell: (r) => when(r.at) },
          { head: t('ov.type'), cell: (r) => <code>{r.type}</code> },
          { head: t('ov.actor'), cell: (r) => r.names[r.actor] ?? r.actor },
          {
            head: t('ov.names'),
            cell: (r) =>
              Object.entries(r.names)
                .filter(([id]) => id !== r.actor)
                .map(([id, name]) => (
                  <span key={id} class="named" title={id}>
                    {name}{' '}
                  </span>
                )),
          },
          { head: t('proof.column'), cell: (r) => <VerifyButton label={t('proof.verifyEntry', { seq: r.seq })} leaf={entryLeaf(r.seq, r.entry)} /> },
        ]}
      />
      <More paged={list} />
    </Section>
  );
}
