// ATTACK (SSRF, low on this host): addressAllowed() blocks IPv4-mapped ::ffff:a.b.c.d in
// both spellings, but not the other IPv6 forms that embed or translate an IPv4 address or
// are not public unicast: IPv4-compatible ::a.b.c.d (::/96), IPv4-translated
// ::ffff:0:a.b.c.d (SIIT), 6to4 2002:AABB:CCDD:: (embeds 127.0.0.1 / 10.x / 169.254.x),
// local-use NAT64 64:ff9b:1::/48 (RFC 8215: translated by the operator's own NAT64 to
// its private IPv4 space), and site-local fec0::/10. On a host with a NAT64/6to4/SIIT
// gateway these reach internal addresses; the URL parser happily keeps them as literals,
// and literals skip guardedLookup. Secure behaviour: only global unicast is allowed; each
// of these is refused at registration (WEBHOOK_URL_REFUSED, detail 'address').
import { describe, expect, it } from 'vitest';
import { addressAllowed, checkUrl } from '../../sandbox/webhooks/destination.js';

describe('webhook destinations that embed private IPv4 addresses', () => {
  it('held: mapped, decimal, hex, short and shorthand IPv4 forms of loopback/private/metadata', () => {
    for (const u of ['https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[0:0:0:0:0:ffff:7f00:1]/', 'https://[::ffff:a9fe:a9fe]/', 'https://0x7f.1/', 'https://2130706433/', 'https://127.1/', 'https://0177.0.0.1/', 'https://[::]/', 'https://0.0.0.0/', 'https://LOCALHOST/'])
      expect(() => checkUrl(u, false), u).toThrowWithCode('WEBHOOK_URL_REFUSED');
  });

  it('refuses IPv4-compatible, IPv4-translated, 6to4, local NAT64 and site-local IPv6', () => {
    const refusedOrThrown = (u: string) => {
      try {
        checkUrl(u, false);
        return false;
      } catch {
        return true;
      }
    };
    for (const a of ['::7f00:1', '::a9fe:a9fe', '::ffff:0:7f00:1', '::ffff:0:a00:1', '2002:7f00:1::', '2002:a9fe:a9fe::1', '2002:c0a8:101::1', '64:ff9b:1::a00:1', 'fec0::1']) {
      expect.soft(addressAllowed(a, false), a).toBe(false);
      expect.soft(refusedOrThrown(`https://[${a}]/`), a).toBe(true);
    }
  });
});
