import fs from 'node:fs';

export const FIXTURES = new URL('../fixtures/formats/', import.meta.url);

export function fixtureBytes(name: string): Buffer {
  return fs.readFileSync(new URL(name, FIXTURES));
}

export interface Expected {
  xgboost: string;
  fields: string[];
  rows: (number | null)[][];
  prediction: number[];
  margin: number[];
  contribs: number[][];
}

export function expected(name: string): Expected {
  return JSON.parse(fs.readFileSync(new URL(`${name}.expected.json`, FIXTURES), 'utf8')) as Expected;
}

export function rowObject(fields: readonly string[], r: readonly (number | null)[]): Record<string, number | null> {
  return Object.freeze(Object.fromEntries(fields.map((f, j) => [f, r[j] ?? null])));
}
