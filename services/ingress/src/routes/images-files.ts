import type { FastifyInstance } from "fastify";
import type { ArtifactInfo, ArtifactStore } from "@switchyard/bus";
import { BrokerError, ServiceUnavailableError } from "@switchyard/contracts";
import type { Clock } from "../deps.js";
import { IMAGE_FILES_PREFIX, type UrlSigner } from "../artifacts/signed-urls.js";

export interface ImageFileDeps {
  readonly artifacts: Pick<ArtifactStore, "info" | "getBytes">;
  readonly signer: UrlSigner;
  readonly clock: Clock;
}

/** One answer for every refusal, so a probe learns nothing about which check failed. */
function notFound(): BrokerError {
  return new BrokerError("The file does not exist or its link has expired.", { status: 404, code: "not_found" });
}

/** Only image types are served as themselves; anything else is a download, never a page of this origin. */
function servedType(contentType: string): string {
  return /^image\/[a-z0-9.+-]+$/i.test(contentType) ? contentType : "application/octet-stream";
}

type Query = Record<string, string | string[] | undefined>;

const single = (value: string | string[] | undefined): string | undefined =>
  typeof value === "string" ? value : undefined;

async function fromStore<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    throw new ServiceUnavailableError("The image store is unavailable. Please retry shortly.", { cause });
  }
}

/**
 * `GET /v1/images/files/<artifact>?expires=<unix s>&signature=<hex>`: the bytes of a generated
 * image, for whoever holds a link `POST /v1/images/generations` signed. No API key (a browser
 * loads it from an `<img>`); the signature is checked before the store is touched.
 */
export function registerImageFileRoute(app: FastifyInstance, deps: ImageFileDeps): void {
  app.get<{ Params: { "*": string }; Querystring: Query }>(
    `${IMAGE_FILES_PREFIX}*`,
    { config: { public: true } },
    async (request, reply) => {
      const name = request.params["*"];
      const expires = single(request.query["expires"]);
      const nowS = Math.floor(deps.clock.now() / 1000);
      if (!deps.signer.verify(name, expires, single(request.query["signature"]), nowS)) throw notFound();

      const info: ArtifactInfo | null = await fromStore(() => deps.artifacts.info(name));
      const bytes = info ? await fromStore(() => deps.artifacts.getBytes(name)) : null;
      if (!info || !bytes) throw notFound();
      // The link fixes the content until it expires; caches may keep it that long, and no longer.
      const maxAge = Math.max(0, Number(expires) - nowS);
      return reply
        .type(servedType(info.contentType))
        .header("cache-control", `private, max-age=${maxAge}, immutable`)
        .header("x-content-type-options", "nosniff")
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );
}
