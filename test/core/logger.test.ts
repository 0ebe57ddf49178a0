import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(JSON.parse(s)) } };
}

describe('logger', () => {
  it('redacts anything that could hold values, keys or model source', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info', stream }, { component: 'test' });
    log.info({ runId: 'r1', scores: [712], rows: [[1, 2]], req: { headers: { authorization: 'Bearer k' } }, run: { source: 'export function score(){}', apiKey: 'k' } }, 'ran');
    const line = lines[0] as Record<string, any>;
    expect(line.runId).toBe('r1');
    expect(line.component).toBe('test');
    expect(line.scores).toBe('[redacted]');
    expect(line.rows).toBe('[redacted]');
    expect(line.req.headers.authorization).toBe('[redacted]');
    expect(line.run.source).toBe('[redacted]');
    expect(line.run.apiKey).toBe('[redacted]');
    // the time and pid aside: a millisecond clock holds "712" about once in a hundred lines
    const { time: _t, pid: _p, ...rest } = line;
    expect(JSON.stringify(rest)).not.toContain('712');
  });

  it('honours the level', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'warn', stream });
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });
});
