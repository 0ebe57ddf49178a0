// Consent: a merchant's authorisation of a bank, recorded and revoked by the merchant-facing
// channel. Merchants appear in the ledger only as digests of their codes.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stmt } from '../core/sqlite.js';
import { isValidUscc } from '../datasets/uscc.js';
import { consentValid, type ConsentRecord } from '../policies/consent.js';
import type { Ctx } from './context.js';
import { platformError } from './errors.js';
import { getOrg, requireKind } from './orgs.js';
import { newId, type Org } from './state.js';
import { emit } from './webhooks/events.js';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
/** Merchants appear in the ledger only as digests of their codes. */
export const subjectDigest = (uscc: string) => sha(`dfix-subject\n${uscc}`);

export const consentSchema = z
  .object({
    subject: z.string().max(32),
    bank: z.string().max(64),
    purpose: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/),
    modelId: z.string().max(64).optional(),
    expiresAt: z.iso.datetime(),
  })
  .strict();

export function recordConsent(ctx: Ctx, channel: Org, c: z.infer<typeof consentSchema>) {
  requireKind(channel, 'channel');
  if (!isValidUscc(c.subject)) throw platformError('SUBJECT_INVALID');
  const bank = getOrg(ctx, c.bank);
  if (!bank || bank.kind !== 'bank') throw platformError('ORG_UNKNOWN');
  if (Date.parse(c.expiresAt) <= ctx.now().getTime()) throw platformError('CONSENT_STATE', { detail: 'expiresAt' });
  const id = newId('cns');
  ctx.db.transaction(() => {
    // A merchant's consents come from one channel: the first that records one for it (attack
    // A3: any admitted channel could record consent for any merchant, for a colluding bank).
    stmt(ctx.db, 'INSERT OR IGNORE INTO merchant_channels (subject, channel, since) VALUES (?, ?, ?)').run(c.subject, channel.id, ctx.now().toISOString());
    if (stmt(ctx.db, 'SELECT channel FROM merchant_channels WHERE subject = ?').pluck().get(c.subject) !== channel.id) throw platformError('CONSENT_CHANNEL_MISMATCH');
    ctx.db
      .prepare('INSERT INTO consents (id, subject, bank, purpose, model, channel, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, c.subject, c.bank, c.purpose, c.modelId ?? null, channel.id, c.expiresAt, ctx.now().toISOString());
    ctx.ledger.append('consent.granted', channel.id, {
      consent: id,
      subject: subjectDigest(c.subject),
      bank: c.bank,
      purpose: c.purpose,
      model: c.modelId ?? null,
      expiresAt: c.expiresAt,
    });
  })();
  return { id };
}

/** Whether the merchant's consent lets this bank score it now, for this purpose and model. */
export function hasValidConsent(ctx: Ctx, bank: string, subject: string, purpose: string, model: string): boolean {
  const rows = stmt(ctx.db, 'SELECT subject, bank, purpose, model, expires_at AS expiresAt, revoked_at AS revokedAt FROM consents WHERE bank = ? AND subject = ?').all(bank, subject) as ConsentRecord[];
  return rows.some((c) => consentValid(c, { bank, purpose, model, now: ctx.now() }));
}

/** DELETE /v1/consents?subject=: the merchant whose consents are all revoked. */
export const revokeAllQuery = z.object({ subject: z.string().min(1).max(32) }).strict();

/**
 * Every consent of one merchant that this channel recorded and that is not yet revoked, revoked
 * in one transaction: each its own ledger entry and its own consent.revoked webhook to its
 * bank, as a single revocation. A merchant this channel does not hold has nothing to revoke
 * here (an empty list, as for one without consents: nothing said about other channels).
 */
export function revokeAllConsents(ctx: Ctx, channel: Org, subject: string): { subject: string; revoked: string[] } {
  requireKind(channel, 'channel');
  if (!isValidUscc(subject)) throw platformError('SUBJECT_INVALID');
  const revoked: string[] = [];
  ctx.db.transaction(() => {
    const rows = stmt(ctx.db, 'SELECT id, bank FROM consents WHERE subject = ? AND channel = ? AND revoked_at IS NULL ORDER BY created_at, id').all(subject, channel.id) as { id: string; bank: string }[];
    const now = ctx.now().toISOString();
    for (const c of rows) {
      stmt(ctx.db, 'UPDATE consents SET revoked_at = ? WHERE id = ?').run(now, c.id);
      ctx.ledger.append('consent.revoked', channel.id, { consent: c.id });
      emit(ctx, 'consent.revoked', [c.bank], { consent: c.id });
      revoked.push(c.id);
    }
  })();
  return { subject, revoked };
}

export function revokeConsent(ctx: Ctx, channel: Org, id: string) {
  requireKind(channel, 'channel');
  ctx.db.transaction(() => {
    const c = stmt(ctx.db, 'SELECT channel, bank, revoked_at FROM consents WHERE id = ?').get(id) as { channel: string; bank: string; revoked_at: string | null } | undefined;
    if (!c || c.channel !== channel.id) throw platformError('CONSENT_UNKNOWN');
    if (c.revoked_at) throw platformError('CONSENT_STATE');
    stmt(ctx.db, 'UPDATE consents SET revoked_at = ? WHERE id = ?').run(ctx.now().toISOString(), id);
    ctx.ledger.append('consent.revoked', channel.id, { consent: id });
    emit(ctx, 'consent.revoked', [c.bank], { consent: id });
  })();
  return { id, status: 'revoked' as const };
}

