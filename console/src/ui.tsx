// Small shared pieces: a loader hook, a section, a table, status badges and errors.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get, type Page } from './api';
import { useT, type MessageKey } from './i18n';
import { runLeaf, VerifyButton } from './proof';

/**
 * An action a page runs on a click: clears the last error, runs it, keeps the error code if
 * it fails, then calls `after` (a reload of what it changed) either way.
 */
export function useAction(after?: () => void): { error: string | null; setError: (e: string | null) => void; act: (fn: () => Promise<unknown>) => Promise<void> } {
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e instanceof ApiError ? e.code : ((e as { code?: string }).code ?? String(e)));
    }
    after?.();
  };
  return { error, setError, act };
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): { data: T | undefined; error: string | null; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(null)),
      (e: unknown) => live && setError(e instanceof ApiError ? e.code : String(e)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, ...deps]);
  return { data, error, reload: useCallback(() => setTick((x) => x + 1), []) };
}

export function Section(props: { title: string; id?: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="card" aria-labelledby={props.id}>
      <div class="card-head">
        <h2 id={props.id}>{props.title}</h2>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

export function ErrorNote({ code }: { code: string | null }) {
  const t = useT();
  if (!code) return null;
  return (
    <p class="error" role="alert">
      {t('common.error')}: <code>{code}</code>
    </p>
  );
}

export function Status({ value }: { value: string }) {
  const t = useT();
  const label = t(`status.${value}` as MessageKey);
  return <span class={`badge badge-${value}`}>{label}</span>;
}

export function Table<R>(props: { rows: R[] | undefined; cols: { head: string; cell: (r: R) => ComponentChildren }[]; caption: string; rowKey: (r: R) => string }) {
  const t = useT();
  if (!props.rows) return <p class="muted">{t('common.loading')}</p>;
  if (props.rows.length === 0) return <p class="muted">{t('common.empty')}</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.cols.map((c) => (
              <th scope="col" key={c.head}>
                {c.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={props.rowKey(r)}>
              {props.cols.map((c) => (
                <td key={c.head}>{c.cell(r)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '-');

export interface Report {
  passed: boolean;
  checks?: { id: string; status: 'pass' | 'fail' | 'warn'; reason: string }[];
}

/** A vetting report's checks, each with its verdict and reason. */
export function Checks({ report }: { report: Report }) {
  const mark = { pass: '✔', fail: '✘', warn: '⚠' } as const;
  return (
    <ul class="checks">
      {(report.checks ?? []).map((c) => (
        <li key={c.id} class={`check-${c.status}`}>
          <span aria-hidden="true">{mark[c.status] ?? '?'}</span> <code>{c.id}</code> {c.status}: {c.reason}
        </li>
      ))}
    </ul>
  );
}

export interface Paged<T> {
  items: T[] | undefined;
  error: string | null;
  more: (() => void) | null;
  reload: () => void;
}

/** A paged list route: the first page, then the next ones on request (its opaque nextCursor). */
export function usePaged<T>(path: string, version = 0): Paged<T> {
  const [items, setItems] = useState<T[]>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const fetchPage = async (cursor: string | null, append: boolean) => {
    try {
      const sep = path.includes('?') ? '&' : '?';
      const page = await get<Page<T>>(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
      setItems((old) => (append && old ? [...old, ...page.items] : page.items));
      setNext(page.nextCursor);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.code : String(e));
    }
  };
  useEffect(() => {
    void fetchPage(null, false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, tick, version]);
  return { items, error, more: next ? () => void fetchPage(next, true) : null, reload: useCallback(() => setTick((x) => x + 1), []) };
}

export function More({ paged }: { paged: Paged<unknown> }) {
  const t = useT();
  return paged.more ? (
    <button class="more" onClick={paged.more}>
      {t('common.more')}
    </button>
  ) : null;
}

interface RunRow {
  runId: string;
  mode: string;
  modelName: string | null;
  status: string;
  requestedAt: string;
  availableAt: string;
  scored?: number;
  notScored?: number;
  error?: { code: string };
}

/** This organisation's runs, newest first: shown as running until their answers are available. */
export function MyRuns() {
  const t = useT();
  const runs = usePaged<RunRow>('/v1/runs?limit=20');
  return (
    <Section title={t('runs.mine')} id="my-runs" actions={<button onClick={runs.reload}>{t('common.refresh')}</button>}>
      <ErrorNote code={runs.error} />
      <Table
        caption={t('runs.mine')}
        rows={runs.items}
        rowKey={(r) => r.runId}
        cols={[
          { head: t('common.id'), cell: (r) => <code>{r.runId}</code> },
          { head: t('common.model'), cell: (r) => r.modelName ?? '-' },
          { head: t('reg.mode'), cell: (r) => r.mode },
          { head: t('common.status'), cell: (r) => <Status value={r.status} /> },
          { head: t('runs.available'), cell: (r) => when(r.availableAt) },
          { head: t('runs.scored'), cell: (r) => (r.scored !== undefined ? `${r.scored} / ${r.scored + (r.notScored ?? 0)}` : (r.error?.code ?? '-')) },
          // a closed run's entry in the ledger, checked in this browser
          { head: t('proof.column'), cell: (r) => (r.status === 'running' ? '-' : <VerifyButton label={t('proof.verifyRun', { id: r.runId })} leaf={runLeaf(r.runId)} />) },
        ]}
      />
      <More paged={runs} />
    </Section>
  );
}
