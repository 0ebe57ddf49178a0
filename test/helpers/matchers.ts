// toThrowWithCode: a coded error (AppError) with this code, thrown by a function or a
// rejected promise. Tests assert the code, never the prose (docs/errors.md).
import { expect } from 'vitest';

function codeOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
}

expect.extend({
  toThrowWithCode(received: unknown, code: string) {
    const judge = (thrown: boolean, e: unknown) => {
      const got = thrown ? codeOf(e) : undefined;
      return {
        pass: got === code,
        message: () => (thrown ? `expected an error with code ${code}, got ${got ?? String(e)}` : `expected an error with code ${code}, nothing was thrown`),
      };
    };
    if (received instanceof Promise) return received.then((v) => judge(false, v), (e: unknown) => judge(true, e));
    if (typeof received !== 'function') return { pass: false, message: () => 'toThrowWithCode expects a function or a promise' };
    try {
      const r = (received as () => unknown)();
      if (r instanceof Promise) return r.then((v) => judge(false, v), (e: unknown) => judge(true, e));
      return judge(false, r);
    } catch (e) {
      return judge(true, e);
    }
  },
});

declare module 'vitest' {
  interface Assertion<T> {
    toThrowWithCode(code: string): T extends Promise<unknown> ? Promise<void> : void;
  }
}
