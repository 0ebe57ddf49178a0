// A model package: manifest.json and model.js. Its digest is SHA-256 over the canonical
// JSON (RFC 8785) of { format, manifest, source }, so whitespace or key order in the
// manifest do not change it and any change to the code does. Approval, runs and the ledger
// all refer to the digest.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalize } from '../core/canonical-json.js';
import { modelError } from './errors.js';
import { manifestSchema, type Manifest } from './manifest.schema.js';

import { MAX_MODEL_FILE_BYTES, MAX_SOURCE_BYTES } from '../core/limits.js';

export { MAX_SOURCE_BYTES };
export const MAX_MANIFEST_BYTES = 64 * 1024;
/** Hard bound on what is read at all; vetting reports the real limits. */
const READ_LIMIT = MAX_MODEL_FILE_BYTES + 1;

/** The model file of a package, by the manifest's format. */
export function modelFileOf(format: unknown): string {
  return format === 'pmml' ? 'model.pmml' : format === 'xgboost-json' ? 'model.json' : 'model.js';
}
const FORMAT = 'dfix-model-v1';

export interface ModelPackage {
  /** The manifest as submitted (parsed JSON, not yet checked against the schema). */
  manifestJson: unknown;
  source: string;
}

export function modelDigest(pkg: ModelPackage): string {
  return `sha256:${createHash('sha256').update(canonicalize({ format: FORMAT, manifest: pkg.manifestJson, source: pkg.source })).digest('hex')}`;
}

function readBounded(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (cause) {
    throw modelError('MODEL_PACKAGE_UNREADABLE', { cause });
  }
  if (!stat.isFile()) throw modelError('MODEL_PACKAGE_UNREADABLE');
  if (stat.size > READ_LIMIT) throw modelError('MODEL_PACKAGE_TOO_LARGE');
  return fs.readFileSync(file, 'utf8');
}

/** Reads a package directory. The manifest must be JSON; its schema is checked by vetting. */
export function readPackage(dir: string): ModelPackage {
  const manifestJson = parseManifestJson(readBounded(path.join(dir, 'manifest.json')));
  const format = typeof manifestJson === 'object' && manifestJson !== null ? (manifestJson as { format?: unknown }).format : undefined;
  const source = readBounded(path.join(dir, modelFileOf(format)));
  return { manifestJson, source };
}

export function parseManifestJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw modelError('MODEL_MANIFEST_INVALID', { cause });
  }
}

export function parseManifest(json: unknown): Manifest | null {
  const r = manifestSchema.safeParse(json);
  return r.success ? r.data : null;
}
