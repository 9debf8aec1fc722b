import { describe, expect, it } from "vitest";
import { UnusableOutputError } from "@switchyard/contracts";
import { fixture } from "../test-support/fixtures.js";
import { fromVideoObject } from "./response.js";

const id = "video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5";

describe("fromVideoObject", () => {
  it.each([
    ["video-queued.json", "queued", 0],
    ["video-in-progress.json", "in_progress", 42],
    ["video-completed.json", "completed", 100],
  ])("maps %s", (file, status, progress) => {
    expect(fromVideoObject(fixture(import.meta.url, file))).toEqual({
      taskId: id,
      status,
      progress,
      error: null,
      seconds: 8,
    });
  });

  it("keeps a failed task's error code and message", () => {
    expect(fromVideoObject(fixture(import.meta.url, "video-failed.json"))).toMatchObject({
      status: "failed",
      progress: 17,
      error: { code: "moderation_blocked", message: "Your request was blocked by our moderation system." },
    });
  });

  it("gives a failed task without an error a generic one", () => {
    expect(fromVideoObject({ id: "v", status: "failed", error: null }).error).toEqual({
      code: "video_generation_failed",
      message: "The upstream could not generate the video.",
    });
  });

  it("bounds progress and reads seconds given as a number or not at all", () => {
    expect(fromVideoObject({ id: "v", status: "in_progress", progress: 250, seconds: 4 })).toMatchObject({
      progress: 100,
      seconds: 4,
    });
    expect(fromVideoObject({ id: "v", status: "queued", progress: -3 })).toMatchObject({ progress: 0, seconds: null });
    expect(fromVideoObject({ id: "v", status: "queued", seconds: "soon" }).seconds).toBeNull();
  });

  it.each([
    ["without an id", { status: "queued" }, "upstream returned a video object without an id"],
    [
      "with an unknown status",
      { id: "v", status: "succeeded" },
      "upstream returned a video object with an unknown status",
    ],
    ["that is not an object", "oops", "upstream returned a video object without an id"],
  ])("rejects an object %s", (_name, body, message) => {
    const run = () => fromVideoObject(body);
    expect(run).toThrow(UnusableOutputError);
    expect(run).toThrow(message);
  });
});
