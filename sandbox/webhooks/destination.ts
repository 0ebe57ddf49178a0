// Where the platform may send a webhook (docs/design.md, "Webhooks"). An organisation names
// a URL, and the platform's own network is not its to probe:
//   - https only; http only to a loopback address, and only when the platform is configured
//     with allowLoopback (tests, local development);
//   - the address connected to (an IP literal, or every address a name resolves to, checked
//     in the socket's own lookup, so a name that re-resolves cannot slip past) is a public
//     unicast address; loopback only with allowLoopback; private, link-local, carrier-grade
//     NAT, multicast, reserved and unspecified ranges never;
//   - no user name or password in the URL, no fragment, at most 2,048 characters;
//   - redirects are not followed (a 3xx is a failed attempt).
import dns from 'node:dns';
import net from 'node:net';
import { platformError } from '../errors.js';

const NEVER = new net.BlockList();
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NEVER.addSubnet(a, p, 'ipv4');
for (const [a, p] of [
  ['::', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NEVER.addSubnet(a, p, 'ipv6');
// IPv6: only global unicast (2000::/3) at all, and within it not the transition forms that
// embed an IPv4 address a gateway would reach (6to4, Teredo) nor documentation and ORCHID
// ranges. Everything outside 2000::/3 (IPv4-compatible ::a.b.c.d, IPv4-translated
// ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, site-local fec0::/10, ULA, link-
// local, multicast) is refused (test/attacks/webhook-address-ranges.test.ts).
const GLOBAL6 = new net.BlockList();
GLOBAL6.addSubnet('2000::', 3, 'ipv6');
for (const [a, p] of [
  ['2001::', 32],
  ['2001:10::', 28],
  ['2001:20::', 28],
  ['2002::', 16],
] as const)
  NEVER.addSubnet(a, p, 'ipv6');
const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether the platform may connect to this address. */
export function addressAllowed(address: string, allowLoopback: boolean): boolean {
  let family: 'ipv4' | 'ipv6' | null = net.isIP(address) === 6 ? 'ipv6' : net.isIP(address) === 4 ? 'ipv4' : null;
  if (!family) return false;
  let a = address;
  // an IPv4-mapped IPv6 address is judged as the IPv4 address it is
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) {
    a = mapped[1] as string;
    family = 'ipv4';
  }
  if (LOOPBACK.check(a, family)) return allowLoopback;
  if (family === 'ipv6' && !GLOBAL6.check(a, 'ipv6')) return false;
  return !NEVER.check(a, family);
}

const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, '');
const isLoopbackName = (host: string) => host === 'localhost' || (net.isIP(host) !== 0 && LOOPBACK.check(host, net.isIP(host) === 6 ? 'ipv6' : 'ipv4'));

/** The URL, if the rules allow it; WEBHOOK_URL_REFUSED naming the rule otherwise. */
export function checkUrl(raw: string, allowLoopback: boolean): URL {
  if (raw.length > 2048) throw platformError('WEBHOOK_URL_REFUSED', { detail: 'length' });
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw platformError('WEBHOOK_URL_REFUSED', { detail: 'syntax' });
  }
  if (u.username || u.password) throw platformError('WEBHOOK_URL_REFUSED', { detail: 'credentials' });
  if (u.hash) throw platformError('WEBHOOK_URL_REFUSED', { detail: 'fragment' });
  const host = hostOf(u);
  if (u.protocol === 'http:') {
    if (!allowLoopback || !isLoopbackName(host)) throw platformError('WEBHOOK_URL_REFUSED', { detail: 'scheme' });
  } else if (u.protocol !== 'https:') throw platformError('WEBHOOK_URL_REFUSED', { detail: 'scheme' });
  if (host === 'localhost' && !allowLoopback) throw platformError('WEBHOOK_URL_REFUSED', { detail: 'address' });
  if (net.isIP(host) && !addressAllowed(host, allowLoopback)) throw platformError('WEBHOOK_URL_REFUSED', { detail: 'address' });
  return u;
}

/** A socket lookup that resolves as usual and refuses any address the rules do not allow. */
export function guardedLookup(allowLoopback: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (list.length === 0 || !list.every((a) => addressAllowed(a.address, allowLoopback))) {
        const e = Object.assign(new Error('address refused'), { code: 'EADDRREFUSED' });
        return callback(e, '', 0);
      }
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0] as dns.LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}
