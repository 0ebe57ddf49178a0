// What the reviewer reads of a model: the static review's findings beside the lines they
// name, and the line diff against the provider's previous version of the same model. Added
// and removed lines carry + and − signs (and words for screen readers), not colour alone.
import type { z } from 'zod';
import type { sourceAnswer } from '../../sandbox/lists.schema';
import { useT } from './i18n';

export type SourceAnswer = z.output<typeof sourceAnswer>;
type Finding = SourceAnswer['findings'][number];

const byLine = (findings: Finding[]) => {
  const m = new Map<number, Finding[]>();
  for (const f of findings) m.set(f.line, [...(m.get(f.line) ?? []), f]);
  return m;
};

function Notes({ at }: { at: Finding[] | undefined }) {
  if (!at) return null;
  return (
    <>
      {at.map((f, i) => (
        <span key={i} class={`note note-${f.severity}`} role="note">
          {'  ◀ '}
          {f.rule} {f.severity === 'fail' ? '✘' : '⚠'} {f.message}
        </span>
      ))}
    </>
  );
}

/** The source with line numbers, each finding on its line. */
export function SourceLines({ answer }: { answer: SourceAnswer }) {
  const t = useT();
  const notes = byLine(answer.findings);
  const lines = answer.source.split(/\r\n|\n|\r/);
  const width = String(lines.length).length;
  return (
    <>
      <h4>{t('reg.findings')}</h4>
      {answer.findings.length === 0 ? (
        <p class="muted">{t('reg.noFindings')}</p>
      ) : (
        <ul class="findings">
          {answer.findings.map((f, i) => (
            <li key={i} class={`check-${f.severity === 'fail' ? 'fail' : 'warn'}`}>
              <a href={`#src-line-${f.line}`}>{t('reg.findingAt', { line: f.line, column: f.column })}</a> <code>{f.rule}</code> {f.severity}: {f.message}
            </li>
          ))}
        </ul>
      )}
      <pre class="source-text" tabIndex={0} aria-label={t('reg.sourceText')}>
        <code>
          {lines.map((l, i) => (
            <span key={i} id={`src-line-${i + 1}`} class={notes.has(i + 1) ? 'line flagged' : 'line'}>
              <span class="gutter" aria-hidden="true">
                {String(i + 1).padStart(width)}{' '}
              </span>
              {l}
              <Notes at={notes.get(i + 1)} />
              {'\n'}
            </span>
          ))}
        </code>
      </pre>
    </>
  );
}

/** The unified diff from the previous version, or why there is none. */
export function VersionDiff({ answer }: { answer: SourceAnswer }) {
  const t = useT();
  const { previous, diff } = answer;
  const notes = byLine(answer.findings);
  return (
    <div class="diff" data-testid="version-diff">
      <h4>{t('reg.diffTitle')}</h4>
      {!previous || !diff ? (
        <p class="muted">{t('reg.firstVersion')}</p>
      ) : diff.status === 'too_large' ? (
        <p class="warn">{t('reg.diffTooLarge')}</p>
      ) : (
        <>
          <p>{t('reg.previous', { version: previous.version ?? '-', id: previous.id, added: diff.added, removed: diff.removed })}</p>
          {diff.hunks.length === 0 ? (
            <p class="muted">{t('reg.noChange')}</p>
          ) : (
            <pre tabIndex={0} aria-label={t('reg.diffTitle')}>
              <code>
                {diff.hunks.map((h, i) => (
                  <span key={i}>
                    <span class="hunk">{`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n`}</span>
                    {h.lines.map((l, j) => (
                      <span key={j} class={l.op === '+' ? 'line add' : l.op === '-' ? 'line del' : 'line'}>
                        {l.op === '+' ? <span class="sr-only">{t('reg.added')} </span> : l.op === '-' ? <span class="sr-only">{t('reg.removed')} </span> : null}
                        <span class="sign">{l.op === '+' ? '+' : l.op === '-' ? '−' : ' '}</span> {l.text}
                        {l.op !== '-' && l.new !== undefined && <Notes at={notes.get(l.new)} />}
                        {'\n'}
                      </span>
                    ))}
                  </span>
                ))}
              </code>
            </pre>
          )}
        </>
      )}
    </div>
  );
}
