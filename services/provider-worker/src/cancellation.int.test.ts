import { describe, expect, it, onTestFinished } from "vitest";
import { connectBus, encodeJson, type BusConnection } from "@switchyard/bus";
import { createNames, randomId } from "@switchyard/contracts";
import { createCancelListener } from "./cancellation.js";
import { NATS_URL, waitFor } from "./test-support/harness.js";

async function connect(name: string): Promise<BusConnection> {
  const bus = await connectBus({ servers: NATS_URL, name });
  onTestFinished(() => bus.close());
  return bus;
}

describe("createCancelListener against NATS", () => {
  it("routes each cancel request to the job it names, over one subscription for all jobs", async () => {
    const names = createNames(`c${randomId(10).toLowerCase()}`);
    const [worker, ingress] = await Promise.all([connect("worker"), connect("ingress")]);
    let subscriptions = 0;
    const nc = {
      subscribe: (...args: Parameters<BusConnection["nc"]["subscribe"]>) => {
        subscriptions++;
        return worker.nc.subscribe(...args);
      },
    };
    const cancels = createCancelListener(nc, names);
    const a = cancels.listen("job_a");
    const b = cancels.listen("job_b");
    const finished = cancels.listen("job_c");
    finished.close();
    await worker.nc.flush();

    // A garbled request, one for a finished job and one for a job this process is not running
    // change nothing; they arrive before b's, which the messages' order on one connection ensures.
    ingress.nc.publish(names.cancelSubject("job_a"), encodeJson({ reason: "because" }));
    ingress.nc.publish(names.cancelSubject("job_c"), encodeJson({ reason: "client" }));
    ingress.nc.publish(names.cancelSubject("job_z"), encodeJson({ reason: "client" }));
    ingress.nc.publish(names.cancelSubject("job_b"), encodeJson({ reason: "client" }));
    await waitFor(() => b.signal.aborted);

    expect(b.reason()).toBe("client");
    expect(a.signal.aborted).toBe(false);
    expect(finished.signal.aborted).toBe(false);
    expect(subscriptions).toBe(1);

    ingress.nc.publish(names.cancelSubject("job_a"), encodeJson({ reason: "client" }));
    await waitFor(() => a.signal.aborted);
    a.close();
    b.close();
  });

  it("cancels every delivery of a job running twice in one process", async () => {
    const names = createNames(`c${randomId(10).toLowerCase()}`);
    const [worker, ingress] = await Promise.all([connect("worker"), connect("ingress")]);
    const cancels = createCancelListener(worker.nc, names);
    const stalled = cancels.listen("job_a");
    const redelivered = cancels.listen("job_a");
    await worker.nc.flush();
    ingress.nc.publish(names.cancelSubject("job_a"), encodeJson({ reason: "client" }));
    await waitFor(() => stalled.signal.aborted && redelivered.signal.aborted);
  });
});
