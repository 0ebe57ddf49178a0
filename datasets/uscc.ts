// Unified social credit codes (统一社会信用代码, GB 32100-2015) and the organisation code
// inside them (GB 11714-1997). A USCC is 18 characters: registration authority (1),
// entity category (1), administrative division (6), organisation code (9), check (1).

/** GB 32100 §4: the 31 characters a USCC may use (no I, O, S, V, Z). */
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** GB 32100 §5: weights of positions 1-17 for the check character. */
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/** GB 11714 §5: weights of the 8 body characters of an organisation code. */
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/** The division code used by registrations in Suzhou Industrial Park. */
export const SIP_DIVISION = '320594';

export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_ALPHABET.indexOf(first17[i] ?? '');
    if (v < 0) throw new RangeError('USCC: character outside GB 32100 alphabet');
    sum += v * (USCC_WEIGHTS[i] as number);
  }
  const c = 31 - (sum % 31);
  return USCC_ALPHABET[c === 31 ? 0 : c] as string;
}

function orgCharValue(ch: string): number {
  const code = ch.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 90) return code - 55; // A=10 ... Z=35
  throw new RangeError('organisation code: bad character');
}

export function orgCodeCheckChar(body8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += orgCharValue(body8[i] as string) * (ORG_WEIGHTS[i] as number);
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

const USCC_SHAPE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

/** True when `s` is an 18-character USCC with a correct GB 32100 check character. */
export function isValidUscc(s: string): boolean {
  if (!USCC_SHAPE.test(s)) return false;
  return usccCheckChar(s.slice(0, 17)) === s[17];
}

const BODY_SPACE = 31 ** 6;

/**
 * A bijection from a subject index to a distinct USCC. `prefix` (two characters of the
 * organisation code) separates populations: the vault uses "MA", dummy data "MD", so the
 * two can never share a code. `mult` and `add` come from the seed; `mult` is prime to 31.
 */
export function usccFor(index: number, prefix: string, category: '1' | '2', mult: number, add: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= BODY_SPACE) throw new RangeError('USCC: index out of range');
  // mult < 2^23 and index < 31^6 keep the product below 2^53.
  let v = (mult * index + add) % BODY_SPACE;
  let body = '';
  for (let i = 0; i < 6; i++) {
    body = USCC_ALPHABET[v % 31] + body;
    v = Math.floor(v / 31);
  }
  const org8 = prefix + body;
  const org = org8 + orgCodeCheckChar(org8);
  const first17 = `9${category}${SIP_DIVISION}${org}`;
  return first17 + usccCheckChar(first17);
}

/** Picks the bijection's constants from a seed. */
export function usccMixer(seed: number): { mult: number; add: number } {
  let mult = 1_000_003 + ((seed * 7919) % 4_000_000);
  if (mult % 31 === 0) mult += 1;
  const add = (seed * 104_729) % BODY_SPACE;
  return { mult, add };
}
