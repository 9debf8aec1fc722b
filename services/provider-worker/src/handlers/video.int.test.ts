import { describe, expect, it, onTestFinished } from "vitest";
import { connectBus } from "@switchyard/bus";
import {
  createJobId,
  type JobCompleted,
  type JobFailed,
  type JobProgressed,
  type JobSubmitted,
} from "@switchyard/contracts";
import { fakeProviders } from "../test-support/fakes.js";
import { NATS_URL, openHarness, waitFor, type Harness } from "../test-support/harness.js";
import { FAKE_MP4, fakeVideoUpstream, type VideoUpstream } from "../test-support/video-upstream.js";

async function harness(): Promise<Harness> {
  const h = await openHarness();
  onTestFinished(() => h.close());
  return h;
}

function videoJob(h: Harness, overrides: Partial<JobSubmitted> = {}): JobSubmitted {
  return h.newJob({
    id: createJobId("video"),
    kind: "video",
    model: "video-model",
    request: { prompt: "a fox in the snow", model: "video-model", seconds: "8", size: "1280x720" },
    tracked: true,
    deadlineAt: Date.now() + 60_000,
    ...overrides,
  });
}

/**
 * A worker on its own connection, submitting to `upstream` and hanging after its first poll.
 * `crash()` closes that connection (no ack, no heartbeat: the job is redelivered);
 * `settle()` ends the calls it left hanging.
 */
async function doomedWorker(h: Harness, upstream: VideoUpstream, family: string, config: { ackWaitMs: number }) {
  const bus = await connectBus({ servers: NATS_URL, name: "provider-worker-doomed" });
  onTestFinished(() => bus.close().catch(() => undefined));
  const adapter = upstream.adapter({ hangAfterPolls: 1 });
  const worker = await h.startWorker({ providers: fakeProviders({ "vid-a": adapter }), family, config, bus });
  return {
    crash: () => bus.nc.close(),
    settle: async () => {
      adapter.crash();
      await Promise.allSettled([...worker.running]);
    },
  };
}

/** A tracked video job of `family`, submitted and polled once by a doomed worker. */
async function pollingOnDoomedWorker(
  h: Harness,
  upstream: VideoUpstream,
  family: string,
  config: { ackWaitMs: number },
) {
  const doomed = await doomedWorker(h, upstream, family, config);
  const job = videoJob(h, { family });
  await h.createRecord(job);
  const s = await h.submit(job);
  await waitFor(() => upstream.polls.length === 1);
  return { doomed, job, s };
}

describe("video jobs against NATS", () => {
  it("refuses an input_reference that is not the job's own upload, without calling the upstream", async () => {
    const h = await harness();
    const upstream = fakeVideoUpstream();
    await h.startWorker({ providers: fakeProviders({ "vid-a": upstream.adapter() }) });
    const other = createJobId("video");
    await h.artifacts.put(`${other}/input_reference.png`, new Uint8Array([0x89, 0x50]), "image/png");
    const job = videoJob(h);
    job.request["input_reference"] = `${other}/input_reference.png`;
    await h.createRecord(job);
    const s = await h.submit(job);
    const terminal = (await s.terminal()) as JobFailed;
    expect(terminal).toMatchObject({ type: "failed", error: { status: 400, param: "input_reference" } });
    expect(upstream.creates).toEqual([]);
  });

  it("submits one task, saves it, polls it to the end and stores the video", async () => {
    const h = await harness();
    const upstream = fakeVideoUpstream();
    await h.startWorker({ providers: fakeProviders({ "vid-a": upstream.adapter() }) });
    const reference = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const job = videoJob(h);
    await h.artifacts.put(`${job.id}/input_reference.png`, reference, "image/png");
    job.request["input_reference"] = `${job.id}/input_reference.png`;
    await h.createRecord(job);
    const s = await h.submit(job);
    const terminal = (await s.terminal()) as JobCompleted;
    await h.jobsAcked();

    expect(upstream.creates).toEqual([
      {
        prompt: "a fox in the snow",
        options: {
          idempotencyKey: job.id,
          inputReference: { bytes: expect.anything(), contentType: "image/png", filename: "input_reference.png" },
        },
      },
    ]);
    expect(Buffer.from(upstream.creates[0]!.options.inputReference!.bytes)).toEqual(Buffer.from(reference));
    const saved = await h.taskStore.get(job.id);
    expect(saved).toMatchObject({ taskId: "vt_1", route: "vid-a" });
    expect(upstream.polls).toEqual(["vt_1", "vt_1", "vt_1", "vt_1"]);

    const progress = s.events().filter((e): e is JobProgressed => e.type === "progress");
    expect(progress.map((e) => [e.progress, e.upstreamTaskId])).toEqual([
      [0, "vt_1"],
      [25, "vt_1"],
      [50, "vt_1"],
      [75, "vt_1"],
      [100, "vt_1"],
    ]);
    expect(terminal).toMatchObject({
      type: "completed",
      route: "vid-a",
      attempts: 1,
      usage: null,
      units: { images: 0, videoSeconds: 8 },
      result: { artifact: `${job.id}/video.mp4`, contentType: "video/mp4", bytes: FAKE_MP4.length },
    });
    expect(Buffer.from((await h.artifacts.getBytes(`${job.id}/video.mp4`))!)).toEqual(Buffer.from(FAKE_MP4));
    const record = await h.statusStore.get(job.tenant, job.id);
    expect(record?.record).toMatchObject({
      status: "completed",
      progress: 100,
      upstreamTaskId: "vt_1",
      result: terminal.result,
      error: null,
    });
    expect(record?.record.startedAt).toBeTypeOf("number");
    expect(record?.record.finishedAt).toBe(terminal.at);
  });

  it("fails with the upstream's own error when the task fails", async () => {
    const h = await harness();
    const upstream = fakeVideoUpstream({ failWith: { code: "moderation_blocked", message: "blocked by moderation" } });
    await h.startWorker({ providers: fakeProviders({ "vid-a": upstream.adapter() }) });
    const job = videoJob(h);
    await h.createRecord(job);
    const s = await h.submit(job);
    const terminal = (await s.terminal()) as JobFailed;
    await h.jobsAcked();
    expect(terminal).toMatchObject({
      type: "failed",
      route: "vid-a",
      error: { code: "moderation_blocked", message: "blocked by moderation", status: 502 },
    });
    expect((await h.statusStore.get(job.tenant, job.id))?.record).toMatchObject({
      status: "failed",
      error: { code: "moderation_blocked" },
    });
  });

  it("resumes the saved task after a worker dies mid-poll: never a second submission", async () => {
    const h = await harness();
    const upstream = fakeVideoUpstream({ seconds: 4 });
    const family = "wcrash";
    const config = { ackWaitMs: 1500 };
    const { doomed, job, s } = await pollingOnDoomedWorker(h, upstream, family, config);
    await waitFor(() => s.events().some((e) => e.type === "progress" && e.progress === 25));
    await doomed.crash();

    await h.startWorker({ providers: fakeProviders({ "vid-a": upstream.adapter() }), family, config });
    const terminal = (await s.terminal()) as JobCompleted;
    await h.jobsAcked(family);
    await doomed.settle();

    expect(upstream.creates).toHaveLength(1);
    expect(new Set(upstream.polls)).toEqual(new Set(["vt_1"]));
    expect(
      s
        .events()
        .filter((e) => e.type === "started")
        .map((e) => e.type === "started" && e.delivery),
    ).toEqual([1, 2]);
    expect(terminal).toMatchObject({
      type: "completed",
      route: "vid-a",
      // The second delivery made no submission attempt of its own.
      attempts: 0,
      units: { videoSeconds: 4 },
      result: { artifact: `${job.id}/video.mp4` },
    });
    expect(s.events().filter((e) => e.type === "completed")).toHaveLength(1);
  });

  it("deletes the task an earlier delivery submitted when the job is cancelled while it waits for redelivery", async () => {
    const h = await harness();
    const upstream = fakeVideoUpstream();
    const family = "wcancel";
    const config = { ackWaitMs: 1500 };
    const { doomed, job, s } = await pollingOnDoomedWorker(h, upstream, family, config);
    await doomed.crash();
    await doomed.settle();
    // The client cancels while no worker holds the job: what POST /cancel does to a started job
    // (the record, and a cancel request nobody hears).
    await h.statusStore.modify(job.tenant, job.id, (r) => ({ ...r, status: "cancelled", finishedAt: Date.now() }));

    await h.startWorker({ providers: fakeProviders({ "vid-a": upstream.adapter() }), family, config });
    const terminal = await s.terminal();
    await h.jobsAcked(family);

    expect(terminal).toMatchObject({ type: "cancelled", reason: "client", attempts: 0 });
    expect(upstream.creates).toHaveLength(1);
    expect(upstream.deletes).toEqual(["vt_1"]);
    // The redelivery polled nothing: it only released the task.
    expect(upstream.polls).toEqual(["vt_1"]);
  });

  it("deletes the saved task of a job whose redelivery comes after its deadline", async () => {
    const h = await harness();
    const upstream = fakeVideoUpstream();
    await h.startWorker({ providers: fakeProviders({ "vid-a": upstream.adapter() }) });
    const job = videoJob(h, { deadlineAt: Date.now() - 1 });
    await h.taskStore.save(job.id, { taskId: "vt_earlier", route: "vid-a", submittedAt: Date.now() - 60_000 });
    await h.createRecord(job);
    const s = await h.submit(job);
    const terminal = await s.terminal();

    expect(terminal).toMatchObject({ type: "failed", error: { status: 504 } });
    expect(upstream.deletes).toEqual(["vt_earlier"]);
    expect(upstream.creates).toEqual([]);
  });

  it("stops polling and reports cancelled when the client cancels", async () => {
    const h = await harness();
    const upstream = fakeVideoUpstream();
    await h.startWorker({
      providers: fakeProviders({ "vid-a": upstream.adapter({ hangAfterPolls: 1 }) }),
      config: { videoPollMs: 20 },
    });
    const job = videoJob(h);
    await h.createRecord(job);
    const s = await h.submit(job);
    await waitFor(() => upstream.polls.length === 1);
    // What the ingress's POST /cancel does: the record first, then the request to the worker.
    await h.statusStore.modify(job.tenant, job.id, (r) => ({ ...r, status: "cancelled", finishedAt: Date.now() }));
    s.cancel("client");
    const terminal = await s.terminal();
    await h.jobsAcked();

    expect(terminal).toMatchObject({ type: "cancelled", reason: "client", route: "vid-a", attempts: 1 });
    expect((await h.statusStore.get(job.tenant, job.id))?.record.status).toBe("cancelled");
  });

  it("keeps 500 video jobs moving at once on one worker", async () => {
    const h = await harness();
    const upstream = fakeVideoUpstream({ seconds: 4 });
    await h.startWorker({
      providers: fakeProviders({ "vid-a": upstream.adapter() }),
      concurrency: 1000,
      config: { videoPollMs: 200 },
    });
    const jobs = Array.from({ length: 500 }, () => videoJob(h));
    await Promise.all(jobs.map((job) => h.createRecord(job)));
    const started = Date.now();
    const submitted = await Promise.all(jobs.map((job) => h.submit(job)));
    const terminals = await Promise.all(submitted.map((s) => s.terminal()));
    const elapsed = Date.now() - started;
    await h.jobsAcked();

    expect(terminals.every((t) => t.type === "completed")).toBe(true);
    expect(upstream.creates).toHaveLength(500);
    expect(upstream.polls).toHaveLength(2000);
    // Four polls 200 ms apart each: run side by side, not one job after another (which takes minutes).
    expect(elapsed).toBeLessThan(15_000);
  }, 60_000);
});
