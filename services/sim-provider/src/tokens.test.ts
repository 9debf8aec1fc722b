import { describe, expect, it } from "vitest";
import { countPromptTokens, countTokens, splitIntoPieces, truncateToTokens } from "./tokens.js";

describe("token counting", () => {
  it("is ceil(length / 4)", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("a")).toBe(1);
    expect(countTokens("abcd")).toBe(1);
    expect(countTokens("abcde")).toBe(2);
  });

  it("adds 3 per prompt message", () => {
    expect(
      countPromptTokens([
        { role: "system", text: "Be brief." },
        { role: "user", text: "Hi" },
      ]),
    ).toBe(3 + 3 + 1 + 3);
    expect(countPromptTokens([{ role: "user", text: "" }])).toBe(3);
  });
});

describe("truncateToTokens", () => {
  it("keeps 4 characters per token", () => {
    expect(truncateToTokens("abcdefghij", 2)).toBe("abcdefgh");
    expect(truncateToTokens("abc", 5)).toBe("abc");
    expect(truncateToTokens("abc", 0)).toBe("");
  });

  it("never splits a surrogate pair", () => {
    expect(truncateToTokens("abc😀def", 1)).toBe("abc");
  });
});

describe("splitIntoPieces", () => {
  it.each([
    "The quick brown fox",
    "  leading and trailing  ",
    "line\nbreaks\n\n",
    "Supercalifragilistic",
    "a😀b😀c😀d😀e",
    "",
  ])("joins back to the original text: %j", (text) => {
    expect(splitIntoPieces(text).join("")).toBe(text);
  });

  it("makes word-ish pieces of at most 4 visible characters", () => {
    expect(splitIntoPieces("The quick fox")).toEqual(["The", " quic", "k", " fox"]);
    expect(splitIntoPieces("")).toEqual([]);
  });
});
