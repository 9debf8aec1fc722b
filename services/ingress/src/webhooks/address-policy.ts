import { isIPv4, isIPv6 } from "node:net";

/** Why an address must not receive webhooks; null when it is a public unicast address. */
export type ForbiddenReason = "unspecified" | "loopback" | "private" | "link-local" | "multicast" | "reserved";

type Range4 = readonly [base: number, prefix: number, reason: ForbiddenReason];

// Webhooks are requests the broker makes on a client's behalf: anything reaching inside our
// own network (SSRF) is refused, including the cloud metadata address 169.254.169.254.
const IPV4_RANGES: readonly Range4[] = [
  [ipv4("0.0.0.0"), 8, "unspecified"],
  [ipv4("10.0.0.0"), 8, "private"],
  [ipv4("100.64.0.0"), 10, "private"], // carrier-grade NAT, shared address space
  [ipv4("127.0.0.0"), 8, "loopback"],
  [ipv4("169.254.0.0"), 16, "link-local"],
  [ipv4("172.16.0.0"), 12, "private"],
  [ipv4("192.0.0.0"), 24, "reserved"],
  [ipv4("192.168.0.0"), 16, "private"],
  [ipv4("198.18.0.0"), 15, "reserved"], // benchmarking
  [ipv4("224.0.0.0"), 4, "multicast"],
  [ipv4("240.0.0.0"), 4, "reserved"], // includes 255.255.255.255
];

function ipv4(text: string): number {
  return text.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function inRange4(address: number, base: number, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) === Math.floor(base / size);
}

function classify4(address: number): ForbiddenReason | null {
  for (const [base, prefix, reason] of IPV4_RANGES) if (inRange4(address, base, prefix)) return reason;
  return null;
}

/** `::ffff:10.0.0.1` -> eight 16-bit groups; null for anything `net.isIPv6` rejects. */
export function parseIPv6(text: string): number[] | null {
  const address = text.split("%", 1)[0] ?? "";
  if (!isIPv6(address)) return null;
  let head = address;
  const tail: number[] = [];
  const lastColon = address.lastIndexOf(":");
  const last = address.slice(lastColon + 1);
  if (last.includes(".")) {
    const v4 = ipv4(last);
    tail.push(Math.floor(v4 / 65536), v4 % 65536);
    head = address.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "1::1.2.3.4" leaves "1::"; "1:2:3:4:5:6:1.2.3.4" leaves "...:6:".
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const toGroups = (part: string): number[] => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const gap = head.indexOf("::");
  let groups: number[];
  if (gap === -1) {
    groups = [...toGroups(head), ...tail];
  } else {
    const left = toGroups(head.slice(0, gap));
    const right = [...toGroups(head.slice(gap + 2)), ...tail];
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  return groups.length === 8 ? groups : null;
}

function classify6(g: readonly number[]): ForbiddenReason | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = g6 * 65536 + g7;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0 && g6 === 0) {
    if (g7 === 0) return "unspecified";
    if (g7 === 1) return "loopback";
  }
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible form (::a.b.c.d) reach the
  // IPv4 address they carry, as does the NAT64 well-known prefix 64:ff9b::/96.
  if (upperZero && (g5 === 0xffff || g5 === 0)) return classify4(embedded);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classify4(embedded);
  // 6to4 (2002:AABB:CCDD::/48) tunnels to the IPv4 address in its second and third groups.
  if (g0 === 0x2002) return classify4(g1 * 65536 + g2);
  if ((g0 & 0xfe00) === 0xfc00) return "private"; // unique local, fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return "link-local"; // fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return "private"; // site-local (deprecated), fec0::/10
  if ((g0 & 0xff00) === 0xff00) return "multicast";
  return null;
}

/**
 * Why a literal IP address must not receive webhooks, or null when it may. Text that is not an
 * IP address counts as "reserved": callers pass resolved addresses, never host names.
 *
 * @example
 * forbiddenAddressReason("::ffff:127.0.0.1"); // "loopback"
 * forbiddenAddressReason("93.184.216.34"); // null
 */
export function forbiddenAddressReason(address: string): ForbiddenReason | null {
  if (isIPv4(address)) return classify4(ipv4(address));
  const groups = parseIPv6(address);
  return groups ? classify6(groups) : "reserved";
}
