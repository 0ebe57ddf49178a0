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
  });

  it('refuses a bad value with a code', () => {
    expect(() => resolveConfig({}, { DFIX_PORT: 'eighty' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => resolveConfig({ logLevel: 'loud' }, {})).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
