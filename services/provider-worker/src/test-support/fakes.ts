import type { Route } from "@switchyard/catalog";
import type { ChatCompletion, JobSubmitted, Usage } from "@switchyard/contracts";
import type { ChatOptions, ChatResult, ProviderAdapter } from "@switchyard/providers";
import type { ProviderSource } from "../attempts.js";
import type { Clock } from "../clock.js";

export interface FakeClock extends Clock {
  advance(ms: number): void;
  readonly sleeps: number[];
}

/** Time that moves only when the test (or a sleep) moves it. */
export function createFakeClock(start = 1_750_000_000_000): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
    sleeps,
  };
}

export function route(id: string, overrides: Partial<Route> = {}): Route {
  return {
    id,
    dialect: "openai",
    baseUrl: `http://${id}.test/v1`,
    upstreamModel: `${id}-model`,
    apiKey: undefined,
    timeoutMs: 30_000,
    price: { input: 1, output: 1 },
    ...overrides,
  };
}

export function job(overrides: Partial<JobSubmitted> = {}): JobSubmitted {
  const createdAt = 1_750_000_000_000;
  return {
    version: 1,
    id: "job_abcdefghijklmnop",
    kind: "chat",
    family: "openai",
    model: "gpt-4o-mini",
    tenant: "t1",
    request: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
    createdAt,
    deadlineAt: createdAt + 120_000,
    ...overrides,
  };
}

export function completion(text = "hello", overrides: Partial<ChatCompletion> = {}): ChatCompletion {
  return {
    id: "chatcmpl-upstream",
    object: "chat.completion",
    created: 1,
    model: "upstream-model",
    choices: [{ index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    ...overrides,
  };
}

export function ok(text = "hello"): ChatResult {
  const c = completion(text);
  return { completion: c, usage: c.usage, httpStatus: 200 };
}

/** One scripted step: a result, an error to throw, or a function run on the call. */
export type Step = ChatResult | Error | ((options: ChatOptions) => ChatResult | Promise<ChatResult>);

/** Adapters are ours to fake: each route answers from its script, in order. */
export function scriptedProviders(
  scripts: Record<string, Step[]>,
): ProviderSource & { calls: Array<{ route: string; signal: AbortSignal }> } {
  const calls: Array<{ route: string; signal: AbortSignal }> = [];
  return {
    calls,
    forRoute(r: Route): ProviderAdapter {
      return {
        chat: async (_request, options) => {
          calls.push({ route: r.id, signal: options.signal });
          const step = scripts[r.id]?.shift();
          if (step === undefined) throw new Error(`no scripted answer left for route ${r.id}`);
          if (step instanceof Error) throw step;
          return typeof step === "function" ? step(options) : step;
        },
      };
    },
  };
}

/** Adapters built per route by the test: the media kinds and streams, which have no scripts. */
export function fakeProviders(adapters: Record<string, ProviderAdapter>): ProviderSource & { routesAsked: string[] } {
  const routesAsked: string[] = [];
  return {
    routesAsked,
    forRoute(r: Route): ProviderAdapter {
      routesAsked.push(r.id);
      const adapter = adapters[r.id];
      if (!adapter) throw new Error(`no fake adapter for route ${r.id}`);
      return adapter;
    },
  };
}

export function usage(prompt = 3, completion = 2): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
