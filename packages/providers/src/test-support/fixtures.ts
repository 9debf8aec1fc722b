import { readFileSync } from "node:fs";

/** Reads `fixtures/<name>` next to the calling test: `fixture(import.meta.url, "chat-completion.json")`. */
export function fixtureText(base: string, name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, base), "utf8");
}

export function fixture<T = Record<string, unknown>>(base: string, name: string): T {
  return JSON.parse(fixtureText(base, name)) as T;
}
