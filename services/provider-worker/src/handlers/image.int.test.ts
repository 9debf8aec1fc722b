import { describe, expect, it, onTestFinished } from "vitest";
import type { ImageGenerationRequest, JobCompleted } from "@switchyard/contracts";
import { fakeProviders } from "../test-support/fakes.js";
import { openHarness } from "../test-support/harness.js";

describe("image jobs against NATS", () => {
  it("stores every image as an artifact and completes with their names, units and usage", async () => {
    const h = await openHarness();
    onTestFinished(() => h.close());
    const requests: ImageGenerationRequest[] = [];
    const png = (n: number) => new Uint8Array([0x89, 0x50, 0x4e, 0x47, n]);
    await h.startWorker({
      providers: fakeProviders({
        "img-a": {
          generateImages: async (request) => {
            requests.push(request);
            return {
              created: 1_750_000_123,
              images: [
                { bytes: png(1), contentType: "image/png", revisedPrompt: "a red fox, watercolour" },
                { bytes: png(2), contentType: "image/png" },
              ],
              usage: { prompt_tokens: 12, completion_tokens: 4160, total_tokens: 4172 },
              extra: { size: "1024x1024", quality: "low", output_format: "png", background: "opaque" },
              httpStatus: 200,
            };
          },
        },
      }),
    });
    const job = h.newJob({
      kind: "image",
      model: "image-model",
      tracked: true,
      request: { prompt: "a red fox", model: "image-model", n: 2, size: "1024x1024", response_format: "b64_json" },
    });
    await h.createRecord(job);
    const s = await h.submit(job);
    const terminal = (await s.terminal()) as JobCompleted;
    await h.jobsAcked();

    // How the client gets the images is the ingress's concern; the upstream is never asked for URLs.
    expect(requests).toEqual([{ prompt: "a red fox", model: "image-model", n: 2, size: "1024x1024" }]);
    expect(terminal).toMatchObject({
      type: "completed",
      route: "img-a",
      attempts: 1,
      units: { images: 2, videoSeconds: 0 },
      usage: { prompt_tokens: 12, completion_tokens: 4160, total_tokens: 4172 },
    });
    expect(terminal.result).toEqual({
      created: 1_750_000_123,
      data: [
        { artifact: `${job.id}/0.png`, contentType: "image/png", bytes: 5, revised_prompt: "a red fox, watercolour" },
        { artifact: `${job.id}/1.png`, contentType: "image/png", bytes: 5 },
      ],
      size: "1024x1024",
      quality: "low",
      output_format: "png",
      background: "opaque",
      usage: {
        input_tokens: 12,
        input_tokens_details: { text_tokens: 12, image_tokens: 0 },
        output_tokens: 4160,
        total_tokens: 4172,
      },
    });
    expect(Buffer.from((await h.artifacts.getBytes(`${job.id}/0.png`))!)).toEqual(Buffer.from(png(1)));
    expect(Buffer.from((await h.artifacts.getBytes(`${job.id}/1.png`))!)).toEqual(Buffer.from(png(2)));
    expect(await h.artifacts.info(`${job.id}/1.png`)).toMatchObject({ contentType: "image/png", bytes: 5 });
    expect((await h.statusStore.get(job.tenant, job.id))?.record).toMatchObject({
      status: "completed",
      progress: 100,
      result: terminal.result,
    });
  });
});
