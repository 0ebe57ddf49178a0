// Consent: a merchant's authorisation of a bank, for a purpose, optionally a model, until a
// time, unless revoked. Checked when a run is planned and again at release.

export interface ConsentRecord {
  subject: string;
  bank: string;
  purpose: string;
  /** null: any model of the bank's product for that purpose. */
  model: string | null;
  expiresAt: string;
  revokedAt: string | null;
}

export interface ConsentQuestion {
  bank: string;
  purpose: string;
  model: string;
  now: Date;
}

export function consentValid(c: ConsentRecord, q: ConsentQuestion): boolean {
  return (
    c.bank === q.bank &&
    c.purpose === q.purpose &&
    (c.model === null || c.model === q.model) &&
    c.revokedAt === null &&
    Date.parse(c.expiresAt) > q.now.getTime()
  );
}

/** The day a fresh result counts against (one fresh result per merchant per bank per day). */
export function quotaDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}
