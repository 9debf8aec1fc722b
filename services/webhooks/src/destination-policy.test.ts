import type { LookupAddress, LookupOptions } from "node:dns";
import { describe, expect, it } from "vitest";
import { DestinationRefusedError, checkDestination, guardedLookup, isPrivateAddress } from "./destination-policy.js";

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "127.255.0.9",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fd00::1",
    "fc12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "0:0:0:0:0:ffff:a00:1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",
    "::127.0.0.1",
    "2002:7f00:1::1", // 6to4 to 127.0.0.1
    "2002:a9fe:a9fe::", // 6to4 to 169.254.169.254
    "not-an-address",
  ])("refuses %s", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    "93.184.215.14",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "2002:808:808::1",
  ])("allows %s", (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe("checkDestination", () => {
  const refuse = { allowPrivate: false };

  it("accepts public http and https URLs, names included (those are checked when they resolve)", () => {
    expect(checkDestination("https://hooks.example.com/a?b=c", refuse).hostname).toBe("hooks.example.com");
    expect(checkDestination("http://93.184.215.14:8080/x", refuse).port).toBe("8080");
    expect(checkDestination("http://localhost:8080/x", refuse).hostname).toBe("localhost");
  });

  it.each([
    ["http://127.0.0.1:9000/hook", /127\.0\.0\.1 is not a public address/],
    ["http://[::1]/hook", /::1 is not a public address/],
    ["http://[::ffff:10.0.0.1]/hook", /not a public address/],
    ["http://0x7f.1/hook", /127\.0\.0\.1 is not a public address/],
    ["http://169.254.169.254/latest/meta-data", /not a public address/],
    ["ftp://example.com/hook", /must be http or https/],
    ["https://user:pw@example.com/hook", /credentials/],
    ["not a url", /not a valid URL/],
  ])("refuses %s", (url, message) => {
    expect(() => checkDestination(url, refuse)).toThrow(DestinationRefusedError);
    expect(() => checkDestination(url, refuse)).toThrow(message);
  });

  it("allows private addresses when told to, but never other schemes", () => {
    expect(checkDestination("http://127.0.0.1:9000/hook", { allowPrivate: true }).port).toBe("9000");
    expect(() => checkDestination("file:///etc/passwd", { allowPrivate: true })).toThrow(DestinationRefusedError);
  });
});

describe("guardedLookup", () => {
  const resolver =
    (addresses: LookupAddress[]) =>
    (
      _host: string,
      _options: LookupOptions,
      callback: (error: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
    ) =>
      callback(null, addresses);
  const lookup = (addresses: LookupAddress[], options: LookupOptions) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number | undefined }>((resolve) =>
      guardedLookup(
        "hooks.example.com",
        options,
        (error, address, family) => resolve({ error, address, family }),
        resolver(addresses) as never,
      ),
    );

  it("passes public addresses on, in the form asked for", async () => {
    const addresses = [
      { address: "93.184.215.14", family: 4 },
      { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 },
    ];
    expect(await lookup(addresses, { all: true })).toEqual({ error: null, address: addresses, family: undefined });
    expect(await lookup(addresses, {})).toEqual({ error: null, address: "93.184.215.14", family: 4 });
  });

  it("refuses a name when any of its addresses is private (DNS rebinding)", async () => {
    const { error } = await lookup(
      [
        { address: "93.184.215.14", family: 4 },
        { address: "10.0.0.7", family: 4 },
      ],
      { all: true },
    );
    expect(error).toBeInstanceOf(DestinationRefusedError);
    expect(error?.message).toMatch(/hooks\.example\.com resolves to 10\.0\.0\.7/);
    expect((await lookup([{ address: "::1", family: 6 }], {})).error).toBeInstanceOf(DestinationRefusedError);
  });

  it("hands resolver errors through", async () => {
    const failing = (
      _h: string,
      _o: LookupOptions,
      callback: (error: NodeJS.ErrnoException | null, a: never[]) => void,
    ) => callback(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }), []);
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      guardedLookup("nowhere.invalid", {}, (e) => resolve(e), failing as never),
    );
    expect(error?.code).toBe("ENOTFOUND");
  });
});
