// A verify button: checks in this browser that a ledger leaf is in the log under the latest
// signed checkpoint (verify.ts), and says what was checked.
import { useState } from 'preact/hooks';
import { ApiError, get } from './api';
import { useT } from './i18n';
import { entryLeafHash, fromHex, verifyInclusion, type Verification } from './verify';

/** `leaf` gives the leaf's index and hash: recomputed from an entry, or from a run's bundle. */
export function VerifyButton(props: { label: string; leaf: () => Promise<{ index: number; hash: Uint8Array } | null> }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Verification | { outcome: 'error'; code: string } | null>(null);
  const run = async () => {
    setBusy(true);
    setResult(null);
    try {
      const leaf = await props.leaf();
      setResult(leaf ? await verifyInclusion(leaf.index, leaf.hash, get) : { outcome: 'failed', reason: 'leaf', index: -1 });
    } catch (e) {
      setResult({ outcome: 'error', code: e instanceof ApiError ? e.code : String(e) });
    } finally {
      setBusy(false);
    }
  };
  let text = '';
  if (result?.outcome === 'error') text = `${t('proof.failed')}: ${result.code}`;
  else if (result?.outcome === 'verified') text = t('proof.verified', { size: result.size ?? 0, key: result.keyId ?? '' });
  else if (result?.outcome === 'pathOnly') text = t('proof.pathOnly', { size: result.size ?? 0 });
  else if (result?.outcome === 'pending') text = t('proof.pending', { size: result.size ?? 0 });
  else if (result?.outcome === 'failed') text = `${t('proof.failed')}: ${t(`proof.reason.${result.reason ?? 'path'}` as 'proof.reason.path')}`;
  return (
    <span class="verify">
      <button aria-label={props.label} disabled={busy} onClick={run}>
        {busy ? t('proof.checking') : t('proof.verify')}
      </button>{' '}
      {result && (
        <span role="status" class={result.outcome === 'verified' || result.outcome === 'pathOnly' ? 'ok' : result.outcome === 'pending' ? 'muted' : 'error'} data-outcome={result.outcome}>
          {text}
        </span>
      )}
    </span>
  );
}

/** The leaf of a ledger entry, recomputed here from the entry itself. */
export const entryLeaf = (seq: number, entry: unknown) => async () => ({ index: seq, hash: await entryLeafHash(entry) });

/** The leaf of a run's closing entry, from its answer's bundle (a bank does not see entries). */
export const runLeaf = (runId: string) => async () => {
  const run = await get<{ ledger?: { index: number; leafHash: string } }>(`/v1/runs/${encodeURIComponent(runId)}`);
  const hash = run.ledger ? fromHex(run.ledger.leafHash) : null;
  return run.ledger && hash && hash.length === 32 ? { index: run.ledger.index, hash } : null;
};
