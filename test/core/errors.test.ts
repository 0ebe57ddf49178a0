import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, CORE_ERRORS, registeredErrors } from '../../core/errors.js';
import { loadedErrorModules } from '../helpers/all-errors.js';

function documented(): Map<string, { kind: string; message: string }> {
  const text = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, { kind: string; message: string }>();
  for (const m of text.matchAll(/^\| `([A-Z0-9_]+)` \| ([a-z_]+) \| (.+?) \|$/gm)) {
    rows.set(m[1] as string, { kind: m[2] as string, message: m[3] as string });
  }
  return rows;
}

describe('error codes', () => {
  it('every area declares its codes in <area>/errors.ts', () => {
    expect(loadedErrorModules.length).toBeGreaterThanOrEqual(3);
  });

  it('docs/errors.md lists exactly the registered codes, with their kind and message', () => {
    const doc = documented();
    const reg = registeredErrors();
    expect([...doc.keys()].sort()).toEqual([...reg.keys()].sort());
    for (const [code, spec] of reg) {
      expect(doc.get(code), code).toEqual({ kind: spec.kind, message: spec.message });
    }
  });

  it('toThrowWithCode checks the code of what a function throws or a promise rejects with, and fails otherwise', async () => {
    const fail = () => {
      throw new AppError('CONFIG_INVALID', CORE_ERRORS.CONFIG_INVALID);
    };
    expect(fail).toThrowWithCode('CONFIG_INVALID');
    expect(() => expect(fail).toThrowWithCode('INTERNAL_ERROR')).toThrow(/CONFIG_INVALID/);
    expect(() => expect(() => 1).toThrowWithCode('CONFIG_INVALID')).toThrow(/nothing was thrown/);
    await expect(Promise.reject(new AppError('INTERNAL_ERROR', CORE_ERRORS.INTERNAL_ERROR))).toThrowWithCode('INTERNAL_ERROR');
  });

  it('an AppError carries the fixed message, never the detail or cause in its text', () => {
    const e = new AppError('INTERNAL_ERROR', CORE_ERRORS.INTERNAL_ERROR, { detail: 'x', cause: new Error('secret 42') });
    expect(e.message).toBe('Internal error.');
    expect(e.code).toBe('INTERNAL_ERROR');
    expect(e.kind).toBe('internal');
    expect(String(e)).not.toContain('secret');
  });
});
