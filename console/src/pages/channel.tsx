// 商户授权: the consents this channel recorded, recording one, and revoking.
import { useState } from 'preact/hooks';
import { ApiError, del, get, post, qs } from '../api';
import { useT } from '../i18n';
import { useAction, ErrorNote, More, Section, Status, Table, usePaged, when } from '../ui';

interface ConsentRow {
  id: string;
  subject: string;
  bankName: string;
  purpose: string;
  modelName: string | null;
  expiresAt: string;
  status: string;
  createdAt: string;
}

interface UsageRow {
  mode: string;
  bank: string;
  bankName: string | null;
  modelName: string | null;
  day: string;
  at: string | null;
  run: string | null;
}

/** Who evaluated one of this channel's merchants, and when (GET /v1/merchants/usage). */
function Usage() {
  const t = useT();
  const [subject, setSubject] = useState('');
  const [rows, setRows] = useState<UsageRow[] | undefined>();
  const [error, setError] = useState<string | null>(null);
  return (
    <Section title={t('ch.usage')} id="usage">
      <p class="muted">{t('ch.usageHint')}</p>
      <form
        class="form-row"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            setRows((await get<{ items: UsageRow[] }>(`/v1/merchants/usage${qs({ subject: subject.trim().toUpperCase(), limit: 200 })}`)).items);
          } catch (err) {
            setRows(undefined);
            setError(err instanceof ApiError ? err.code : String(err));
          }
        }}
      >
        <label for="u-subject">{t('ch.usageSubject')}</label>
        <input id="u-subject" required value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} />
        <button type="submit">{t('ch.usageLookup')}</button>
      </form>
      <ErrorNote code={error} />
      {rows && (
        <Table
          caption={t('ch.usage')}
          rows={rows}
          rowKey={(r) => `${r.mode}/${r.bank}/${r.day}/${r.run ?? r.modelName}`}
          cols={[
            { head: t('ch.day'), cell: (r) => r.day },
            { head: t('common.bank'), cell: (r) => r.bankName ?? <code>{r.bank}</code> },
            { head: t('common.model'), cell: (r) => r.modelName ?? '-' },
            { head: t('reg.mode'), cell: (r) => r.mode },
            { head: t('ch.run'), cell: (r) => (r.run ? <span title={r.run}>{when(r.at)}</span> : '-') },
          ]}
        />
      )}
    </Section>
  );
}

/** Revoke every consent of one merchant at once (DELETE /v1/consents?subject=), after a confirm. */
function RevokeAll({ onDone }: { onDone: () => void }) {
  const t = useT();
  const [subject, setSubject] = useState('');
  const [done, setDone] = useState<{ subject: string; n: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div class="revoke-all">
      <h3>{t('ch.revokeAll')}</h3>
      <form
        class="form-row"
        onSubmit={async (e) => {
          e.preventDefault();
          const code = subject.trim().toUpperCase();
          setError(null);
          setDone(null);
          if (!window.confirm(t('ch.revokeAllConfirm', { subject: code }))) return;
          try {
            const r = await del<{ subject: string; revoked: string[] }>(`/v1/consents${qs({ subject: code })}`);
            setDone({ subject: r.subject, n: r.revoked.length });
          } catch (err) {
            setError(err instanceof ApiError ? err.code : String(err));
          }
          onDone();
        }}
      >
        <label for="ra-subject">{t('ch.revokeAllSubject')}</label>
        <input id="ra-subject" required value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} />
        <button type="submit">{t('ch.revokeAllSubmit')}</button>
      </form>
      <ErrorNote code={error} />
      {done && <p role="status">{t('ch.revokeAllDone', { subject: done.subject, n: done.n })}</p>}
    </div>
  );
}

export function ChannelPage() {
  const t = useT();
  const list = usePaged<ConsentRow>('/v1/consents?limit=50');
  const [form, setForm] = useState({ subject: '', bank: '', purpose: 'credit-assessment', expires: new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10) });
  const { error, act } = useAction(() => list.reload());
  const field = (k: keyof typeof form) => ({ value: form[k], onInput: (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value }) });
  return (
    <>
      <Section title={t('ch.record')} id="record">
        <form
          class="form-col"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => post('/v1/consents', { subject: form.subject.trim().toUpperCase(), bank: form.bank.trim(), purpose: form.purpose, expiresAt: new Date(`${form.expires}T23:59:59Z`).toISOString() }));
          }}
        >
          <label for="c-subject">{t('ch.subject')}</label>
          <input id="c-subject" required {...field('subject')} />
          <label for="c-bank">{t('ch.bankId')}</label>
          <input id="c-bank" required {...field('bank')} />
          <label for="c-purpose">{t('common.purpose')}</label>
          <input id="c-purpose" required {...field('purpose')} />
          <label for="c-expires">{t('ch.expires')}</label>
          <input id="c-expires" type="date" required {...field('expires')} />
          <div>
            <button class="primary" type="submit">
              {t('ch.record')}
            </button>
          </div>
        </form>
        <ErrorNote code={error} />
      </Section>
      <Section title={t('ch.consents')} id="consents" actions={<button onClick={list.reload}>{t('common.refresh')}</button>}>
        <ErrorNote code={list.error} />
        <Table
          caption={t('ch.consents')}
          rows={list.items}
          rowKey={(r) => r.id}
          cols={[
            { head: t('bank.subject'), cell: (r) => <code>{r.subject}</code> },
            { head: t('common.bank'), cell: (r) => r.bankName },
            { head: t('common.purpose'), cell: (r) => r.purpose },
            { head: t('common.model'), cell: (r) => r.modelName ?? '-' },
            { head: t('ch.expires'), cell: (r) => when(r.expiresAt) },
            { head: t('common.status'), cell: (r) => <Status value={r.status} /> },
            {
              head: t('common.actions'),
              cell: (r) =>
                r.status === 'active' ? (
                  <button aria-label={`${t('ch.revoke')} ${r.subject}`} onClick={() => act(() => del(`/v1/consents/${r.id}`))}>
                    {t('ch.revoke')}
                  </button>
                ) : (
                  '-'
                ),
            },
          ]}
        />
        <More paged={list} />
        <RevokeAll onDone={list.reload} />
      </Section>
      <Usage />
    </>
  );
}
