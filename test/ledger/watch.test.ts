import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSigner } from '../../ledger/keys.js';
import { checkpointBody, openCheckpoint, signNote, vkey } from '../../ledger/note.js';
import { CheckpointStore, judge, type Held } from '../../ledger/watch.js';
import { fill, openLedger, ORIGIN } from '../helpers/ledger.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

describe('the watcher judges checkpoints', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => rmDir(dir));

  const held = (note: string, key: Parameters<typeof openCheckpoint>[1][number]): Held => {
    const c = openCheckpoint(note, [key]);
    if (!c) throw new Error('does not open');
    return { origin: c.origin, size: c.size, root: c.root, extensions: c.extensions, note };
  };

  it('accepts an extension proven by RFC 9162 consistency, and names forks, rollbacks and strangers', async () => {
    const { ledger, signer } = openLedger(dir);
    const key = signer.verifier;
    fill(ledger, 12);
    const a = ledger.checkpoint();
    fill(ledger, 9);
    const b = ledger.checkpoint();
    const proof = async (from: number, to: number) => ledger.consistency(from, to);
    const none = async () => {
      throw new Error('no proof needed');
    };

    expect((await judge(a.note, key, [], none)).kind).toBe('first');
    expect(await judge(b.note, key, [held(a.note, key)], proof)).toMatchObject({ kind: 'extended', from: a.size });
    expect((await judge(b.note, key, [held(a.note, key), held(b.note, key)], none)).kind).toBe('same');
    expect(await judge(a.note, key, [held(a.note, key), held(b.note, key)], none)).toMatchObject({ kind: 'rollback', held: b.size });

    const forged = (size: number) => signNote(checkpointBody({ origin: ORIGIN, size, root: randomBytes(32), extensions: [] }), signer);
    expect(await judge(forged(a.size), key, [held(a.note, key)], none)).toMatchObject({ kind: 'fork', at: a.size });
    expect(await judge(forged(b.size), key, [held(a.note, key)], proof)).toMatchObject({ kind: 'fork', at: a.size });
    // a proof for other sizes, or no proof at all, does not make a fork consistent
    expect((await judge(forged(b.size), key, [held(a.note, key)], async () => [])).kind).toBe('fork');

    const stranger = newSigner(ORIGIN);
    const foreign = signNote(checkpointBody({ origin: ORIGIN, size: b.size, root: b.root, extensions: [] }), stranger);
    expect((await judge(foreign, key, [held(a.note, key)], proof)).kind).toBe('untrusted');
    const otherOrigin = signNote(checkpointBody({ origin: 'elsewhere/log', size: b.size, root: b.root, extensions: [] }), signer);
    expect((await judge(otherOrigin, key, [], none)).kind).toBe('untrusted');
    expect((await judge('not a note', key, [], none)).kind).toBe('untrusted');
  });

  it('keeps checkpoints by size and re-verifies them when read; a tampered store is an error', () => {
    const signer = newSigner(ORIGIN);
    const store = new CheckpointStore(`${dir}/store`);
    expect(store.pinned()).toBeUndefined();
    store.pin(vkey(signer.verifier));
    const note = signNote(checkpointBody({ origin: ORIGIN, size: 7, root: randomBytes(32), extensions: [] }), signer);
    store.save(held(note, signer.verifier));
    expect(store.held(store.pinned()!).map((h) => h.size)).toEqual([7]);
    fs.writeFileSync(`${dir}/store/checkpoints/${'7'.padStart(16, '0')}.note`, note.replace(`\n7\n`, '\n8\n'));
    expect(() => store.held(store.pinned()!)).toThrow(expect.objectContaining({ code: 'LEDGER_WATCH_STORE_INVALID' }));
  });
});
