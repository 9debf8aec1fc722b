import { z } from "zod";

// Booleans are spelled out because z.coerce.boolean() reads "false" as true.
const Flag = z
  .enum(["true", "false", "1", "0"])
  .optional()
  .transform((value) => value === "true" || value === "1");

const Env = z.object({
  // Loopback by default: the sim has no real auth and must not face a network.
  SIM_HOST: z.string().default("127.0.0.1"),
  // 8090 is what config/catalog.yaml points at; 0 picks a free port (printed on start) for parallel tests.
  SIM_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  // Base latency of every inference response, so benchmarks and timeouts see something like a real upstream.
  SIM_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  // Per-request logging costs throughput, and the sim is the benchmarks' "direct" baseline: off by default.
  SIM_LOG: Flag,
  // When set, every inference request must carry exactly this key, so tests can exercise auth failures.
  SIM_REQUIRE_KEY: z.string().optional(),
  // How long a simulated video task takes from creation to completed: short for tests, longer to watch progress.
  SIM_VIDEO_MS: z.coerce.number().int().min(0).default(3000),
});

export interface SimConfig {
  host: string;
  port: number;
  latencyMs: number;
  log: boolean;
  requireKey: string | undefined;
  videoMs: number;
}

/**
 * Reads the sim's settings from an environment map; throws an Error listing every bad variable.
 * Empty variables count as unset, so `SIM_PORT=` does not silently become port 0.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): SimConfig {
  const present: Record<string, string> = {};
  for (const key of Object.keys(Env.shape)) {
    const value = env[key]?.trim();
    if (value) present[key] = key === "SIM_LOG" ? value.toLowerCase() : value;
  }
  const parsed = Env.safeParse(present);
  if (!parsed.success) throw new Error(`invalid sim-provider configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  return {
    host: e.SIM_HOST,
    port: e.SIM_PORT,
    latencyMs: e.SIM_LATENCY_MS,
    log: e.SIM_LOG,
    requireKey: e.SIM_REQUIRE_KEY,
    videoMs: e.SIM_VIDEO_MS,
  };
}
