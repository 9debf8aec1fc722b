import type { onRequestHookHandler } from "fastify";
import { AuthenticationError } from "@switchyard/contracts";

declare module "fastify" {
  interface FastifyRequest {
    /** The tenant the API key belongs to; set by the auth hook before any handler runs. */
    tenant: string;
  }
  interface FastifyContextConfig {
    /** Routes reachable without an API key (health checks). */
    public?: boolean;
  }
}

const MISSING =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";

/** Enough of a wrong key for its owner to recognise it, never enough to use it. */
function mask(key: string): string {
  return key.length > 12 ? `${key.slice(0, 3)}***${key.slice(-4)}` : "***";
}

/**
 * `Authorization: Bearer <key>` -> `request.tenant`. A missing or unknown key is a 401 with code
 * `invalid_api_key`, as the OpenAI SDK expects (it raises AuthenticationError on it).
 */
export function createAuthHook(keys: ReadonlyMap<string, string>): onRequestHookHandler {
  return (request, _reply, done) => {
    if (request.routeOptions.config.public === true) return done();
    const header = request.headers.authorization;
    if (header === undefined || header.length <= 7 || header.slice(0, 7).toLowerCase() !== "bearer ") {
      return done(new AuthenticationError(MISSING));
    }
    const key = header.slice(7).trim();
    if (key === "") return done(new AuthenticationError(MISSING));
    const tenant = keys.get(key);
    if (tenant === undefined) return done(new AuthenticationError(`Incorrect API key provided: ${mask(key)}.`));
    request.tenant = tenant;
    done();
  };
}
