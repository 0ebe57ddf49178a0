// Compiling an approved model as data for its runs happens on a worker thread
// (sandbox/model-thread.ts), off the server's event loop: the thread must give exactly
// the modules the calling thread would, and fail where it would.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../datasets/catalog.js';
import { parseManifest, readPackage } from '../../models/package.js';
import { runtimeModule } from '../../models/runtime.js';
import { runtimeModuleInThread } from '../../sandbox/model-thread.js';

describe('runtimeModuleInThread', () => {
  for (const dir of ['models/examples/xgboost-credit', 'models/examples/pmml-scorecard', 'models/examples/merchant-scorecard']) {
    it(`gives the modules runtimeModule gives: ${dir}`, async () => {
      const pkg = readPackage(dir);
      const manifest = parseManifest(pkg.manifestJson);
      if (!manifest) throw new Error('manifest');
      const here = runtimeModule(manifest, pkg.source, catalog());
      const there = await runtimeModuleInThread(manifest, pkg.source);
      expect(there).toEqual({ source: here.source, batchSource: here.batchSource, compiled: here.compiled });
      expect(there.compiled).toBe(manifest.format !== 'javascript');
    });
  }

  it('rejects a model file runtimeModule refuses', async () => {
    const pkg = readPackage('models/examples/xgboost-credit');
    const manifest = parseManifest(pkg.manifestJson);
    if (!manifest) throw new Error('manifest');
    const broken = pkg.source.replace('"split_conditions"', '"split_conditionz"');
    expect(broken).not.toBe(pkg.source);
    expect(() => runtimeModule(manifest, broken, catalog())).toThrow();
    await expect(runtimeModuleInThread(manifest, broken)).rejects.toThrow('the model file was refused');
  });
});
