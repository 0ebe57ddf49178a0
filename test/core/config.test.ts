import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveConfig } from '../../core/config.js';

describe('configuration', () => {
  it('fills the embedded defaults once', () => {
    const c = resolveConfig({}, {});
    expect(c.dataDir).toBe(path.resolve(DEFAULTS.dataDir));
    expect(c.port).toBe(DEFAULTS.port);
    expect(c.vaultPath).toBe(path.join(c.dataDir, 'vault.sqlite'));
    expect(c.statePath).not.toBe(c.vaultPath);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('flags win over the environment, the environment over defaults', () => {
    expect(resolveConfig({}, { DFIX_DATA: '/tmp/a', DFIX_PORT: '9000' })).toMatchObject({ dataDir: '/tmp/a', port: 9000 });
    expect(resolveConfig({ dataDir: '/tmp/b', port: 1 }, { DFIX_DATA: '/tmp/a', DFIX_PORT: '9000' })).toMatchObject({ dataDir: '/tmp/b', port: 1 });
    expect(resolveConfig({}, {}).aggregateLanes).toBe(1);
    expect(resolveConfig({}, { DFIX_AGGREGATE_LANES: '2' }).aggregateLanes).toBe(2);
    expect(resolveConfig({ aggregateLanes: 3 }, { DFIX_AGGREGATE_LANES: '2' }).aggregateLanes).toBe(3);
  });

  it('refuses a bad value with a code', () => {
    expect(() => resolveConfig({}, { DFIX_PORT: 'eighty' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => resolveConfig({ logLevel: 'loud' }, {})).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    for (const lanes of ['0', '9', '1.5', 'two']) expect(() => resolveConfig({}, { DFIX_AGGREGATE_LANES: lanes })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', detail: 'aggregateLanes' }));
  });
});
