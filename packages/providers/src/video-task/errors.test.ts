import { describe, expect, it } from "vitest";
import { fixtureText } from "../test-support/fixtures.js";
import { parseVideoTaskError, videoTaskError } from "./errors.js";

describe("parseVideoTaskError", () => {
  it("reads the OpenAI error envelope's code and message", () => {
    expect(parseVideoTaskError(fixtureText(import.meta.url, "error-not-found.json"))).toEqual({
      code: "video_not_found",
      message: "Video with id 'video_nope' not found.",
      publicCode: "video_not_found",
    });
  });
});

describe("videoTaskError", () => {
  it("keeps a plain code and bounds the message", () => {
    expect(videoTaskError({ code: "has spaces", message: "x".repeat(900) })).toEqual({
      code: "video_generation_failed",
      message: "x".repeat(500),
    });
  });
});
