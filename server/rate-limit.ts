// Per-key token buckets: each API key (or address, before authentication) may make
// `perSecond` requests a second with bursts of `burst`.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (this.buckets.size > 100_000) this.buckets.clear(); // bounded memory under a flood of keys
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
