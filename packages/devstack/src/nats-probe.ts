import { connect } from "@nats-io/transport-node";
import { errorMessage } from "./log.js";

export type NatsProbe =
  | { reachable: false; error: string }
  | { reachable: true; jetstream: true; version: string }
  | { reachable: true; jetstream: false; version: string; error: string };

/**
 * Connects once, without reconnecting, and asks JetStream for the account info. A server
 * without JetStream answers "no responders" or a JSON error.
 */
export async function probeNats(url: string, timeoutMs = 2_000): Promise<NatsProbe> {
  let nc;
  try {
    nc = await connect({
      servers: url.split(",").map((server) => server.trim()),
      name: "switchyard-devstack-probe",
      timeout: timeoutMs,
      reconnect: false,
    });
  } catch (error) {
    return { reachable: false, error: errorMessage(error) };
  }
  const version = nc.info?.version ?? "unknown";
  try {
    const reply = await nc.request("$JS.API.INFO", undefined, { timeout: timeoutMs });
    const body = reply.json<{ error?: { description?: string } }>();
    if (body.error)
      return { reachable: true, jetstream: false, version, error: body.error.description ?? "JetStream error" };
    return { reachable: true, jetstream: true, version };
  } catch (error) {
    return { reachable: true, jetstream: false, version, error: errorMessage(error) };
  } finally {
    await nc.close().catch(() => {});
  }
}
