import type { Route } from "@switchyard/catalog";
import { createProvider, type CreateProviderOptions, type ProviderAdapter } from "@switchyard/providers";
import type { ProviderSource } from "./attempts.js";

/**
 * One adapter per route for the life of the process, all sharing one dispatcher (so one
 * keep-alive pool per upstream origin). `warm` builds them up front, so a route the package
 * cannot speak stops the worker at start rather than failing jobs.
 */
export function createProviderRegistry(
  options: CreateProviderOptions,
): ProviderSource & { warm(routes: Iterable<Route>): void } {
  const adapters = new Map<string, ProviderAdapter>();
  const forRoute = (route: Route): ProviderAdapter => {
    let adapter = adapters.get(route.id);
    if (!adapter) {
      adapter = createProvider(route, options);
      adapters.set(route.id, adapter);
    }
    return adapter;
  };
  return {
    forRoute,
    warm: (routes) => {
      for (const route of routes) forRoute(route);
    },
  };
}
