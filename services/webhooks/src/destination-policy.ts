import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { BlockList, isIP } from "node:net";

/*
 * A webhook URL comes from a client, and the dispatcher runs inside our network: without a
 * guard, `http://169.254.169.254/` or `http://10.0.0.5:5432/` would make it probe what clients
 * must not reach (SSRF). The check runs twice: on the URL (literal addresses), and on the
 * address every connection is actually made to (a name that resolved to a public address at
 * submission can resolve to a private one at delivery: DNS rebinding).
 */

/** IANA special-purpose ranges that are not the public internet. */
const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 96], // unspecified, loopback and the deprecated IPv4-compatible addresses
  ["64:ff9b::", 96], // NAT64: reaches IPv4 addresses, private ones included
  ["64:ff9b:1::", 48],
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

/** Thrown (or handed to a connection) when a webhook destination is not allowed; retrying cannot help. */
export class DestinationRefusedError extends Error {
  override readonly name = "DestinationRefusedError";
  readonly code = "ERR_WEBHOOK_DESTINATION_REFUSED";
}

/**
 * True for an address outside the public internet: loopback, private, link-local, carrier-grade
 * NAT, multicast, documentation and reserved ranges, and IPv6 addresses that map to them.
 *
 * @example
 * isPrivateAddress("10.1.2.3"); // true
 * isPrivateAddress("::ffff:127.0.0.1"); // true
 * isPrivateAddress("93.184.215.14"); // false
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family !== 6) return true; // not an address at all: never a safe destination
  const mapped = embeddedIpv4(address);
  if (mapped !== undefined) return blocked.check(mapped, "ipv4");
  return blocked.check(address, "ipv6");
}

/**
 * The IPv4 address an IPv6 address reaches: an IPv4-mapped one (`::ffff:a.b.c.d`, in any
 * spelling), or a 6to4 one (`2002:AABB:CCDD::/48` tunnels to AA.BB.CC.DD), as the ingress's
 * check reads them.
 */
function embeddedIpv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const dotted = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  if (words[0] === 0x2002) return dotted(words[1]!, words[2]!);
  if (words.slice(0, 5).some((w) => w !== 0) || words[5] !== 0xffff) return undefined;
  return dotted(words[6]!, words[7]!);
}

/** The eight 16-bit words of an IPv6 address (one `isIP` accepted). */
function ipv6Words(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, "");
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4) {
    const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::", 2);
  const parse = (part: string) => (part ? part.split(":").map((w) => parseInt(w, 16)) : []);
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  const missing = 8 - front.length - back.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...front, ...Array<number>(missing).fill(0), ...back];
}

/**
 * Checks a webhook URL before any connection: http(s) only, no credentials, and, unless
 * `allowPrivate`, no literal private address. Host names are checked when they resolve, by
 * `guardedLookup`. Returns the parsed URL; throws `DestinationRefusedError`.
 */
export function checkDestination(url: string, options: { allowPrivate: boolean }): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DestinationRefusedError("the webhook URL is not a valid URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new DestinationRefusedError(`webhook URLs must be http or https, not ${parsed.protocol.slice(0, -1)}`);
  }
  if (parsed.username || parsed.password) throw new DestinationRefusedError("webhook URLs must not hold credentials");
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!options.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
    throw new DestinationRefusedError(`the webhook destination ${host} is not a public address`);
  }
  return parsed;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` for outgoing webhook connections that fails with `DestinationRefusedError`
 * when a name resolves to any private address. Connections use the very address it returns,
 * so what was checked is what is connected to. Node asks for every address (`all: true`) when
 * it races IPv4 and IPv6 (autoSelectFamily); both forms are handled.
 */
export function guardedLookup(
  hostname: string,
  options: LookupOptions,
  callback: LookupCallback,
  resolve: typeof dnsLookup = dnsLookup,
): void {
  resolve(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, options.all ? [] : "");
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused || addresses.length === 0) {
      const reason = refused ? `resolves to ${refused.address}, not a public address` : "resolves to no address";
      return callback(
        new DestinationRefusedError(`the webhook destination ${hostname} ${reason}`),
        options.all ? [] : "",
      );
    }
    if (options.all) return callback(null, addresses);
    const [first] = addresses as [LookupAddress];
    callback(null, first.address, first.family);
  });
}
