import { defineConfig } from 'vitest/config';

/**
 * The slow suite (`npm run test:slow`): the browser, 100,000-merchant vaults, real servers
 * killed and restarted, the run engine end to end with the public schedule's waits, long
 * executor and encryption tests. Everything else is the fast suite (`npm test`, under a
 * minute). CI (.ci/run) runs both. Chosen by each file's measured duration.
 */
export const SLOW = [
  'test/console/console.test.ts',
  'test/sandbox/backtest-100k.test.ts',
  'test/sandbox/runs.test.ts',
  'test/server/api.test.ts',
  'test/server/recovery.test.ts',
  'test/server/sealed-release.test.ts',
  'test/policies/attacks.test.ts',
  'test/policies/utility.test.ts',
  'test/cli/model.test.ts',
  'test/workers/executor.test.ts',
  'test/formats/platform.test.ts',
  'test/formats/sandbox.test.ts',
  'test/encryption/api.test.ts',
  'test/encryption/joint.test.ts',
  'test/datasets/signal.test.ts',
  // the attackers' end-to-end reproductions (each a platform with real runs and waits)
  'test/attacks/**/*.test.ts',
  'test/sandbox/approval.test.ts',
  'test/server/lists.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['test/helpers/matchers.ts'],
    pool: 'forks',
    // isolated-vm on Node 20 needs it in any process that creates isolates (the tests of workers/isolates.ts)
    execArgv: ['--no-node-snapshot'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      // the fast files share their worker processes (no fresh process and module graph per
      // file): about half the time of the suite; each file still sets up and removes its own state
      { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: SLOW, isolate: false } },
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});
