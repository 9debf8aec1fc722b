import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { BillableUnits, ModelKind, ModelObject, TokenCounts } from "@switchyard/contracts";
import { CatalogFile, type Dialect, type ModelConfig, type Price } from "./schema.js";
import { interpolate } from "./interpolate.js";

export interface Route {
  readonly id: string;
  readonly dialect: Dialect;
  readonly baseUrl: string;
  readonly upstreamModel: string;
  /** Resolved from `api_key_env` when the catalog was loaded; undefined for keyless routes. */
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
  readonly price: Price;
}

export interface Model {
  readonly id: string;
  readonly kind: ModelKind;
  readonly family: string;
  readonly ownedBy: string;
  readonly created: number;
  /** The fallback chain, in order. */
  readonly routes: readonly Route[];
}

export interface Catalog {
  getModel(id: string): Model | undefined;
  listModels(): readonly Model[];
  getRoute(id: string): Route | undefined;
  /** Every family with at least one model: one worker pool each. */
  families(): readonly string[];
  /** USD cost of `tokens` (and media `units`) on `routeId`; 0 for an unknown route (recorded, but not priced). */
  costUsd(routeId: string, tokens: TokenCounts, units?: BillableUnits | null): number;
}

/**
 * Parses and validates a catalog. Throws with every problem listed, so a bad file stops a
 * service at start rather than failing requests later.
 *
 * @example
 * const catalog = parseCatalog(readFileSync("config/catalog.yaml", "utf8"), process.env);
 * catalog.getModel("gpt-4o-mini")?.routes[0]?.baseUrl;
 */
export function parseCatalog(text: string, env: Readonly<Record<string, string | undefined>>): Catalog {
  const raw: unknown = parseYaml(interpolate(text, env));
  const parsed = CatalogFile.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
    throw new Error(`invalid catalog:\n${issues}`);
  }
  const routes = new Map<string, Route>();
  for (const [id, r] of Object.entries(parsed.data.routes)) {
    routes.set(id, {
      id,
      dialect: r.dialect,
      baseUrl: r.base_url.replace(/\/+$/, ""),
      upstreamModel: r.upstream_model,
      apiKey: r.api_key_env ? env[r.api_key_env] : undefined,
      timeoutMs: r.timeout_ms,
      price: r.price,
    });
  }
  const models = new Map<string, Model>();
  for (const [id, m] of Object.entries(parsed.data.models)) models.set(id, toModel(id, m, routes));
  const families = [...new Set([...models.values()].map((m) => m.family))].sort();

  return {
    getModel: (id) => models.get(id),
    listModels: () => [...models.values()],
    getRoute: (id) => routes.get(id),
    families: () => families,
    costUsd: (routeId, tokens, units) => {
      const price = routes.get(routeId)?.price;
      if (!price) return 0;
      const cached = Math.min(tokens.cachedTokens, tokens.promptTokens);
      const uncached = tokens.promptTokens - cached;
      const usd =
        uncached * price.input + cached * (price.cached_input ?? price.input) + tokens.completionTokens * price.output;
      const media = (units?.images ?? 0) * (price.per_image ?? 0) + (units?.videoSeconds ?? 0) * (price.per_second ?? 0);
      return usd / 1_000_000 + media;
    },
  };
}

function toModel(id: string, m: ModelConfig, routes: ReadonlyMap<string, Route>): Model {
  const chain = m.routes.map((routeId) => {
    const route = routes.get(routeId);
    if (!route) throw new Error(`invalid catalog: model '${id}' names unknown route '${routeId}'`);
    return route;
  });
  return { id, kind: m.kind, family: m.family, ownedBy: m.owned_by, created: m.created, routes: chain };
}

/** Reads and parses the catalog file at `path`. */
export function loadCatalog(path: string, env: Readonly<Record<string, string | undefined>>): Catalog {
  return parseCatalog(readFileSync(path, "utf8"), env);
}

/** The OpenAI model object of `GET /v1/models`, with Switchyard's `kind` and `family`. */
export function toModelObject(model: Model): ModelObject {
  return { id: model.id, object: "model", created: model.created, owned_by: model.ownedBy, kind: model.kind, family: model.family };
}
