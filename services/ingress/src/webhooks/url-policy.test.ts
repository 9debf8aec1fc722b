import { describe, expect, it } from "vitest";
import { BrokerError, InvalidRequestError, ServiceUnavailableError } from "@switchyard/contracts";
import { assertWebhookUrlAllowed, type HostResolver } from "./url-policy.js";

const table: Record<string, string[]> = {
  "hooks.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
  "internal.example.com": ["10.1.2.3"],
  "mixed.example.com": ["93.184.216.34", "127.0.0.1"],
  "mapped.example.com": ["::ffff:192.168.0.10"],
  "v6-ula.example.com": ["fd00::5"],
};

const resolve: HostResolver = async (host) => {
  const addresses = table[host];
  if (addresses) return addresses;
  if (host === "flaky.example.com") throw Object.assign(new Error("try again"), { code: "EAI_AGAIN" });
  throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
};

const strict = { allowPrivate: false, resolve };

async function refusal(url: string, policy = strict): Promise<BrokerError> {
  try {
    await assertWebhookUrlAllowed(url, policy);
  } catch (error) {
    if (error instanceof BrokerError) return error;
    throw error;
  }
  throw new Error(`${url} was allowed`);
}

describe("assertWebhookUrlAllowed", () => {
  it("allows public hosts and literal public addresses", async () => {
    await assertWebhookUrlAllowed("https://hooks.example.com/in?x=1", strict);
    await assertWebhookUrlAllowed("http://93.184.216.34:8080/hook", strict);
    await assertWebhookUrlAllowed("https://[2606:4700:4700::1111]/hook", strict);
  });

  it.each([
    "http://127.0.0.1/hook",
    "http://localhost:3000/hook",
    "http://LOCALHOST./hook",
    "http://api.localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data",
    "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://10.0.0.8/",
    "http://192.168.1.20/",
    "http://172.20.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://internal.example.com/hook",
    "http://mixed.example.com/hook",
    "http://mapped.example.com/hook",
    "http://v6-ula.example.com/hook",
  ])("refuses %s with a 400 naming webhook.url", async (url) => {
    const error = await refusal(url);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ status: 400, param: "webhook.url", code: "invalid_webhook_url" });
  });

  it("refuses other schemes and unresolvable names", async () => {
    expect((await refusal("ftp://hooks.example.com/")).message).toMatch(/http or https/);
    expect((await refusal("file:///etc/passwd")).message).toMatch(/http or https/);
    expect((await refusal("not a url")).message).toMatch(/not a valid URL/);
    expect((await refusal("https://nowhere.example.com/")).message).toMatch(/could not be resolved/);
  });

  it("refuses credentials in the URL, which the dispatcher would refuse at every attempt", async () => {
    expect((await refusal("https://user:secret@hooks.example.com/in")).message).toMatch(/credentials/);
    expect((await refusal("https://user@hooks.example.com/in")).message).toMatch(/credentials/);
    const allowed = { allowPrivate: true, resolve: () => Promise.reject(new Error("must not resolve")) };
    expect((await refusal("http://user:pw@127.0.0.1/hook", allowed)).message).toMatch(/credentials/);
  });

  it("answers 503 when the resolver itself fails", async () => {
    expect(await refusal("https://flaky.example.com/")).toBeInstanceOf(ServiceUnavailableError);
  });

  it("lets private targets through when allowed, without resolving", async () => {
    const policy = {
      allowPrivate: true,
      resolve: () => Promise.reject(new Error("must not resolve")),
    };
    await assertWebhookUrlAllowed("http://127.0.0.1:9999/hook", policy);
    await assertWebhookUrlAllowed("http://internal.example.com/hook", policy);
    expect((await refusal("ftp://127.0.0.1/", policy)).message).toMatch(/http or https/);
  });
});
