// Loading real data (`dfix data import`): the vault's own values written out as the seven
// source files an operator would get (CSV), then imported back, against seeding a vault of
// the same size in the same run. At most 50,000 merchants: all seven files of a million
// would pass the per-file size limit.
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../core/config.js';
import { SOURCES, type Source } from '../datasets/catalog.js';
import { sourceFields, type SourceFile } from '../datasets/import.js';
import { seedVault, Vault } from '../datasets/store.js';
import { importDataset } from '../sandbox/dataset-import.js';
import { openPlatformState } from '../sandbox/platform.js';
import type { BenchContext } from './context.js';
import { figure, type Figure } from './report.js';

const MAX = 50_000;
const cell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One source of the vault as an operator's CSV file (category codes, empty where missing). */
function exportSource(vault: Vault, source: Source, file: string): void {
  const fields = sourceFields(source);
  const numeric = fields.filter((f) => f.type !== 'text');
  const { uscc, names } = vault.subjectList();
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, `${['uscc', ...fields.map((f) => f.name)].join(',')}\n`);
    for (let c = 0; c < uscc.length; c += 4096) {
      const idx = Int32Array.from({ length: Math.min(4096, uscc.length - c) }, (_, i) => c + i);
      const values = vault.carry(numeric.map((f) => f.name), idx);
      const lines: string[] = [];
      for (let i = 0; i < idx.length; i++) {
        const row = [uscc[c + i] as string];
        let j = 0;
        for (const f of fields) {
          if (f.type === 'text') {
            row.push(cell(names[c + i] as string));
            continue;
          }
          const v = values[i * numeric.length + j++] as number;
          row.push(Number.isNaN(v) ? '' : f.type === 'category' ? (f.categories?.[v]?.code ?? '') : String(v));
        }
        lines.push(row.join(','));
      }
      fs.writeSync(fd, `${lines.join('\n')}\n`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export async function benchImport(ctx: BenchContext): Promise<Figure[]> {
  const n = Math.min(ctx.subjects, MAX);
  const dir = path.join(ctx.dir, 'import');
  const config = resolveConfig({ dataDir: path.join(dir, 'data') }, {});
  fs.mkdirSync(path.join(dir, 'files'), { recursive: true });
  let t = performance.now();
  seedVault(config.vaultPath, { subjects: n, seed: 3 });
  const seedMs = performance.now() - t;
  openPlatformState(config).close();
  const vault = Vault.open(config.vaultPath);
  const files: SourceFile[] = (Object.keys(SOURCES) as Source[]).map((source) => {
    const file = path.join(dir, 'files', `${source}.csv`);
    exportSource(vault, source, file);
    return { source, file };
  });
  vault.close();
  const mb = (fs2: SourceFile[]) => fs2.reduce((a, f) => a + fs.statSync(f.file).size, 0) / 2 ** 20;
  const tax = files.filter((f) => f.source === 'tax');
  t = performance.now();
  importDataset(config, tax);
  const taxMs = performance.now() - t;
  t = performance.now();
  const all = importDataset(config, files);
  const allMs = performance.now() - t;
  if (all.subjects !== n) throw new Error('import bench: wrong number of merchants');
  return [
    figure(`data.import.tax.${n}`, taxMs / 1000, 's', seedMs / 1000, `one source (${mb(tax).toFixed(1)} MiB CSV), six carried over; baseline: seeding the same number of merchants`),
    figure(`data.import.all.${n}`, allMs / 1000, 's', seedMs / 1000, `seven sources (${mb(files).toFixed(1)} MiB CSV); baseline: seeding the same number of merchants`),
  ];
}
