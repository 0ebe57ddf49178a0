// The answers of the dataset routes: the datasets, the public field catalog, dummy rows.
// zod only (catalog.ts is zod only too): browser-safe.
import { z } from 'zod';
import { fieldSchema } from './catalog.js';

export const datasetInfo = z.object({ id: z.string(), lineage: z.string().describe('The population; budgets follow it'), version: z.string(), subjects: z.number(), fields: z.number() });
export const datasetsAnswer = z.array(datasetInfo);
/** publicField(): every catalog field, as the catalog declares it. */
export const fieldsAnswer = z.array(fieldSchema);
export const dummyRows = z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))).describe('Dummy rows (format=json); format=csv answers text/csv');
