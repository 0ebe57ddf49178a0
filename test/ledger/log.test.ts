import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/sqlite.js';
import { entryBytes } from '../../ledger/entry.js';
import { newSigner } from '../../ledger/keys.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../ledger/merkle.js';
import { openCheckpoint, parseVkey } from '../../ledger/note.js';
import { auditConsistency, parseExport } from '../../ledger/verify.js';
import { auditText, exportText, fill, openLedger, ORIGIN } from '../helpers/ledger.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tmpDir('dfix-ledger-');
});
afterEach(() => rmDir(dir));

/** RFC 6962 §2.1 written out plainly, independent of ledger/merkle.ts. */
function naiveRoot(leaves: Buffer[]): Buffer {
  const h = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
  const mth = (d: Buffer[]): Buffer => {
    if (d.length === 0) return h();
    if (d.length === 1) return h(Buffer.from([0]), d[0] as Buffer);
    let k = 1;
    while (k * 2 < d.length) k *= 2;
    return h(Buffer.from([1]), mth(d.slice(0, k)), mth(d.slice(k)));
  };
  return mth(leaves);
}

describe('the log', () => {
  it('starts with a genesis entry and a signed checkpoint, and checkpoints every 100 entries', () => {
    const { ledger } = openLedger(dir);
    expect(ledger.size()).toBe(1);
    expect(ledger.entries(0, 1)[0]?.entry).toMatchObject({ type: 'ledger.created', origin: ORIGIN, key: ledger.genesisKey });
    fill(ledger, 250);
    expect(ledger.checkpoints().map((c) => c.size)).toEqual([1, 101, 201]);
  });

  it('checkpoints after 5 minutes, with a heartbeat when idle', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { ledger } = openLedger(dir, undefined, { now: () => new Date(now) });
    fill(ledger, 3);
    expect(ledger.latestCheckpoint().size).toBe(1);
    now += 5 * 60_000;
    fill(ledger, 1);
    expect(ledger.latestCheckpoint().size).toBe(5);
    now += 5 * 60_000;
    ledger.tick();
    expect(ledger.entries(5, 6)[0]?.entry.type).toBe('heartbeat');
    expect(ledger.latestCheckpoint().size).toBe(6);
    ledger.tick(); // not idle long enough again: nothing
    expect(ledger.size()).toBe(6);
  });

  it('refuses UPDATE and DELETE in the database', () => {
    const { db, ledger } = openLedger(dir);
    fill(ledger, 3);
    expect(() => db.prepare("UPDATE ledger_entries SET entry = '{}' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM ledger_entries WHERE seq = 1').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM ledger_checkpoints').run()).toThrow(/append-only/);
    expect(() => db.prepare('UPDATE ledger_nodes SET hash = x\'00\'').run()).toThrow(/append-only/);
  });

  it('refuses entries with floats, missing fields, envelope overrides or bulk data', () => {
    const { ledger } = openLedger(dir);
    const ok = { consent: 'c', subject: 's', bank: 'b', purpose: 'p', expiresAt: 'e' };
    expect(() => ledger.append('consent.granted', 'x', { ...ok, score: 712.5 })).toThrow(expect.objectContaining({ code: 'LEDGER_ENTRY_INVALID' }));
    expect(() => ledger.append('consent.granted', 'x', { consent: 'c' })).toThrow(expect.objectContaining({ code: 'LEDGER_ENTRY_INVALID' }));
    expect(() => ledger.append('consent.granted', 'x', { ...ok, prev: 'forged' })).toThrow(expect.objectContaining({ code: 'LEDGER_ENTRY_INVALID' }));
    expect(() => ledger.append('consent.granted', 'x', { ...ok, rows: Array.from({ length: 1000 }, (_, i) => i) })).toThrow(expect.objectContaining({ code: 'LEDGER_ENTRY_INVALID' }));
    expect(ledger.size()).toBe(1);
  });

  it('rolls back with the state change it records', () => {
    const { db, ledger } = openLedger(dir);
    db.exec('CREATE TABLE runs (id INTEGER PRIMARY KEY)');
    expect(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO runs DEFAULT VALUES').run();
        ledger.append('heartbeat', 'platform', {});
        throw new Error('the run failed after the append');
      })(),
    ).toThrow();
    expect(db.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(0);
    expect(ledger.size()).toBe(1);
    ledger.append('heartbeat', 'platform', {});
    expect(auditText(exportText(ledger), ledger.genesisKey).ok).toBe(true);
  });

  it('hands out bundles whose inclusion proof verifies under the signed checkpoint', () => {
    const { ledger } = openLedger(dir);
    fill(ledger, 40);
    const key = parseVkey(ledger.publicKey);
    for (const index of [0, 1, 17, 40]) {
      const b = ledger.bundle(index);
      const cp = openCheckpoint(b.checkpoint, key ? [key] : []);
      expect(cp).not.toBeNull();
      const leaf = leafHash(entryBytes(ledger.entries(index, index + 1)[0]?.entry));
      expect(leaf.toString('hex')).toBe(b.leafHash);
      expect(verifyInclusion(leaf, index, cp!.size, b.inclusionProof.map((h) => Buffer.from(h, 'hex')), cp!.root)).toBe(true);
    }
  });

  it('gives the bundles asked for in one turn one shared checkpoint, each proof verifying under it', async () => {
    const { ledger } = openLedger(dir);
    const before = ledger.checkpoints().length;
    const key = parseVkey(ledger.publicKey);
    const indexes = [ledger.append('heartbeat', 'platform', {}).seq];
    const first = ledger.bundleSoon(indexes[0] as number);
    for (let i = 0; i < 4; i++) indexes.push(ledger.append('heartbeat', 'platform', {}).seq);
    const bundles = await Promise.all([first, ...indexes.slice(1).map((i) => ledger.bundleSoon(i))]);
    expect(ledger.checkpoints().length).toBe(before + 1);
    expect(new Set(bundles.map((b) => b.checkpoint)).size).toBe(1);
    bundles.forEach((b, n) => {
      const cp = openCheckpoint(b.checkpoint, key ? [key] : []);
      expect(cp?.size).toBe(ledger.size());
      const leaf = leafHash(entryBytes(ledger.entries(indexes[n] as number, (indexes[n] as number) + 1)[0]?.entry));
      expect(verifyInclusion(leaf, indexes[n] as number, cp!.size, b.inclusionProof.map((h) => Buffer.from(h, 'hex')), cp!.root)).toBe(true);
    });
    // an entry a checkpoint already covers gets its bundle at once, without a new checkpoint
    await ledger.bundleSoon(indexes[0] as number);
    expect(ledger.checkpoints().length).toBe(before + 1);
  });

  it('serves consistency proofs between its checkpoints', () => {
    const { ledger } = openLedger(dir, undefined, { checkpointEvery: 10 });
    fill(ledger, 55);
    const cps = ledger.checkpoints();
    for (const a of cps) for (const b of cps) {
      if (a.size > b.size) continue;
      expect(verifyConsistency(a.size, b.size, a.root, b.root, ledger.consistency(a.size, b.size))).toBe(true);
      expect(auditConsistency(a.note, b.note, ledger.consistency(a.size, b.size), ledger.genesisKey, ORIGIN)).toEqual([]);
    }
    expect(() => ledger.consistency(0, 5)).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_RANGE' }));
    expect(() => ledger.inclusion(5, 1000)).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_RANGE' }));
  });
});

describe('what an inclusion proof shows', () => {
  it('no entry can be guessed from its leaf hash: each carries 128 random bits (attack A9: exact counts recovered by trying candidate entries against a proof path)', () => {
    const { ledger } = openLedger(dir);
    ledger.append('run.executed', 'platform', { run: 'run_x', resources: { rows: 3 }, substituted: { failed: 0, offLattice: 1, undeclared: 0 } });
    ledger.append('run.executed', 'platform', { run: 'run_x', resources: { rows: 3 }, substituted: { failed: 0, offLattice: 1, undeclared: 0 } });
    const [a, b] = ledger.entries(1, 3).map((e) => e.entry as unknown as Record<string, unknown>);
    expect(typeof a?.nonce).toBe('string');
    expect(Buffer.from(a?.nonce as string, 'base64url').length).toBe(16);
    expect(a?.nonce).not.toBe(b?.nonce);
    // the attacker's candidate (everything but the nonce) does not hash to the leaf a proof shows
    const { nonce: _n, ...candidate } = a as Record<string, unknown>;
    const shown = ledger.inclusion(0, 2)[0]?.toString('hex'); // the proof of entry 0 shows entry 1's leaf
    expect(leafHash(entryBytes(candidate)).toString('hex')).not.toBe(shown);
    expect(leafHash(entryBytes(a)).toString('hex')).toBe(shown);
  });
});

describe('verifying an export', () => {
  it('verifies a live log, and its checkpoints equal an independent RFC 6962 computation', () => {
    const { ledger } = openLedger(dir);
    fill(ledger, 123);
    ledger.checkpoint();
    const text = exportText(ledger);
    const r = auditText(text, ledger.genesisKey);
    expect(r).toMatchObject({ ok: true, size: 124, problems: [] });
    const parsed = parseExport(text);
    const leaves = parsed.entries.map((e) => entryBytes(e.entry));
    const key = parseVkey(ledger.genesisKey)!;
    for (const note of parsed.checkpoints) {
      const cp = openCheckpoint(note, [key])!;
      expect(cp.root.equals(naiveRoot(leaves.slice(0, cp.size)))).toBe(true);
    }
  });

  function tampered(sql: (db: ReturnType<typeof openDatabase>) => void) {
    const { ledger, file, signer } = openLedger(dir, undefined, { checkpointEvery: 10 });
    fill(ledger, 30);
    const held = ledger.checkpoint().note;
    const genesis = ledger.genesisKey;
    const db = openDatabase(file);
    for (const t of ['entries', 'checkpoints', 'nodes']) for (const op of ['update', 'delete']) db.exec(`DROP TRIGGER ledger_${t}_no_${op}`);
    sql(db);
    db.close();
    const again = openLedger(dir, signer).ledger;
    return { text: exportText(again), genesis, held };
  }
  const kinds = (r: { problems: { kind: string }[] }) => [...new Set(r.problems.map((p) => p.kind))];

  it('names a deleted entry', () => {
    const { text, genesis } = tampered((db) => db.exec('DELETE FROM ledger_entries WHERE seq = 12'));
    const r = auditText(text, genesis);
    expect(r.ok).toBe(false);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'deleted', at: 12 }));
  });

  it('names a modified entry', () => {
    const { text, genesis } = tampered((db) => db.exec("UPDATE ledger_entries SET entry = replace(entry, 'bank-1', 'bank-9') WHERE seq = 12"));
    const r = auditText(text, genesis);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'modified', at: 12 }));
  });

  it('names reordered entries', () => {
    const { text, genesis } = tampered((db) => {
      const a = db.prepare('SELECT entry FROM ledger_entries WHERE seq = 12').pluck().get();
      const b = db.prepare('SELECT entry FROM ledger_entries WHERE seq = 13').pluck().get();
      db.prepare('UPDATE ledger_entries SET entry = ? WHERE seq = 12').run(b);
      db.prepare('UPDATE ledger_entries SET entry = ? WHERE seq = 13').run(a);
    });
    expect(kinds(auditText(text, genesis))).toContain('reordered');
  });

  it('names an inserted entry', () => {
    const { text, genesis } = tampered((db) => {
      for (let s = 30; s >= 12; s--) db.prepare('UPDATE ledger_entries SET seq = seq + 1 WHERE seq = ?').run(s);
      const prev = (db.prepare('SELECT leaf FROM ledger_entries WHERE seq = 11').pluck().get() as Buffer).toString('hex');
      const forged = JSON.stringify({ actor: 'channel-1', at: '2026-01-01T00:00:00.000Z', bank: 'bank-1', consent: 'forged', expiresAt: '2099', prev, purpose: 'p', subject: 's', type: 'consent.granted', v: 1 });
      db.prepare('INSERT INTO ledger_entries (seq, entry, leaf, at) VALUES (12, ?, x\'00\', ?)').run(forged, '2026');
    });
    expect(auditText(text, genesis).problems).toContainEqual(expect.objectContaining({ kind: 'inserted', at: 12 }));
  });

  it('names a truncated log against a checkpoint the regulator holds', () => {
    const { text, genesis, held } = tampered((db) => {
      db.exec('DELETE FROM ledger_entries WHERE seq >= 20');
      db.exec('DELETE FROM ledger_checkpoints WHERE size > 20');
    });
    expect(auditText(text, genesis).ok).toBe(true); // consistent in itself...
    expect(kinds(auditText(text, genesis, [held]))).toContain('truncated'); // ...but shorter than what was signed
  });

  it('names a bad signature', () => {
    const { text, genesis } = tampered((db) => {
      const note = db.prepare('SELECT note FROM ledger_checkpoints WHERE size = 11').pluck().get() as string;
      const i = note.length - 10;
      db.prepare('UPDATE ledger_checkpoints SET note = ? WHERE size = 11').run(note.slice(0, i) + (note[i] === 'A' ? 'B' : 'A') + note.slice(i + 1));
    });
    expect(kinds(auditText(text, genesis))).toEqual(['bad-signature']);
  });

  it('names a fork: a history rewritten and re-signed with the same key', () => {
    const { ledger, signer } = openLedger(dir);
    fill(ledger, 20);
    const held = ledger.checkpoint().note;
    const other = openLedger(dir, signer, {}, 'rewritten.sqlite').ledger; // same key and origin, another history
    for (let i = 0; i < 20; i++) other.append('consent.granted', 'channel-1', { consent: `c-${i}`, subject: `sha256:${i}`, bank: 'bank-2', purpose: 'credit', expiresAt: '2027-01-01' });
    other.checkpoint();
    const r = auditText(exportText(other), other.genesisKey, [held]);
    expect(kinds(r)).toContain('fork');
    // two valid checkpoints of one size with different roots
    const both = auditText(exportText(other), other.genesisKey, [held, ...ledger.checkpoints().map((c) => c.note)]);
    expect(both.problems).toContainEqual(expect.objectContaining({ kind: 'fork', at: 21 }));
    expect(auditConsistency(held, other.latestCheckpoint().note, [], other.genesisKey, ORIGIN).map((p) => p.kind)).toEqual(['fork']);
  });

  it('fails on a single flipped bit in an entry, a root, a size or a signature', () => {
    const { ledger } = openLedger(dir);
    fill(ledger, 9);
    ledger.checkpoint();
    const text = exportText(ledger);
    const genesis = ledger.genesisKey;
    const flip = (s: string, at: number) => s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ 1) + s.slice(at + 1);
    // an entry: flip a bit in a value inside line 5
    const lines = text.split('\n');
    lines[5] = (lines[5] as string).replace('c-4', flip('c-4', 2));
    expect(auditText(lines.join('\n'), genesis).ok).toBe(false);
    // the latest checkpoint's size, root and signature
    const note = ledger.latestCheckpoint().note;
    const [origin, size, root] = note.split('\n') as [string, string, string];
    const sizeAt = origin.length + 1;
    const rootAt = sizeAt + size.length + 1 + 3;
    const sigAt = note.length - 6;
    for (const at of [sizeAt, rootAt, sigAt]) {
      const bad = flip(note, at);
      const r = auditText(`${text}\n${JSON.stringify({ checkpoint: bad })}`, genesis);
      expect(r.ok, `bit at ${at}`).toBe(false);
    }
    expect(root.length).toBe(44);
  });
});

describe('key rotation', () => {
  it('is an entry signed by the old and the new key; later checkpoints verify from the genesis key', () => {
    const { ledger } = openLedger(dir);
    fill(ledger, 5);
    ledger.rotateKey(newSigner(ORIGIN));
    fill(ledger, 5);
    ledger.checkpoint();
    expect(ledger.publicKey).not.toBe(ledger.genesisKey);
    const r = auditText(exportText(ledger), ledger.genesisKey);
    expect(r).toMatchObject({ ok: true });
    expect(r.checkpointsVerified).toBe(ledger.checkpoints().length);
  });

  it('a rotation not signed by the trusted key is refused', () => {
    const { ledger } = openLedger(dir);
    const rogue = openLedger(dir, newSigner(ORIGIN), {}, 'rogue.sqlite').ledger;
    rogue.rotateKey(newSigner(ORIGIN));
    const r = auditText(exportText(rogue), ledger.genesisKey);
    expect(r.problems.map((p) => p.kind)).toContain('bad-rotation');
    expect(r.problems.map((p) => p.kind)).toContain('bad-signature');
  });
});

describe('crash safety', () => {
  it('killing the process in the middle of appends leaves a log that verifies and agrees with the state', async () => {
    const file = path.join(dir, 'state.sqlite');
    const keys = path.join(dir, 'keys');
    const child = fork(new URL('../fixtures/ledger-writer.mjs', import.meta.url), [file, keys], { stdio: 'ignore' });
    await new Promise((r) => child.once('message', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const { loadOrCreateSigner } = await import('../../ledger/keys.js');
    const { signer } = loadOrCreateSigner(keys, ORIGIN);
    const { ledger, db } = openLedger(dir, signer);
    const runs = db.prepare('SELECT count(*) FROM runs').pluck().get() as number;
    expect(runs).toBeGreaterThan(10);
    expect(ledger.size()).toBe(runs + 1); // the genesis entry, then one entry per run
    const r = auditText(exportText(ledger), ledger.genesisKey);
    expect(r.problems).toEqual([]);
    const nodes = db.prepare('SELECT count(*) FROM ledger_nodes WHERE level = 0').pluck().get();
    expect(nodes).toBe(ledger.size());
  });
});
