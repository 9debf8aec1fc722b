import type { ProviderAdapter } from "../types.js";

/**
 * One of an adapter's optional methods, failing the test at once when the dialect lacks it.
 * Adapter methods are closures over their route, so the function can be called unbound.
 */
export function capability<K extends keyof ProviderAdapter>(
  adapter: ProviderAdapter,
  name: K,
): NonNullable<ProviderAdapter[K]> {
  const method = adapter[name];
  if (!method) throw new Error(`this adapter has no ${name}`);
  return method as NonNullable<ProviderAdapter[K]>;
}
