import type { ArtifactStore } from "@switchyard/bus";
import { BrokerError, ImagesResult, ServiceUnavailableError } from "@switchyard/contracts";
import type { UrlSigner } from "./signed-urls.js";

export type ImageFormat = "b64_json" | "url";

export interface ImageRendering {
  readonly format: ImageFormat;
  readonly artifacts: Pick<ArtifactStore, "getBytes">;
  readonly signer: UrlSigner;
  /** Origin the links point at: PUBLIC_URL, else the request's own. */
  readonly baseUrl: string;
  /** Unix seconds the links stop working. */
  readonly expires: number;
}

const OPTIONAL_FIELDS = ["background", "output_format", "quality", "size", "usage"] as const;

function unreadable(message: string, code: string): BrokerError {
  return new BrokerError(message, { status: 502, code, type: "server_error" });
}

/**
 * The OpenAI images response for a completed image job. Workers store the bytes and name the
 * artifacts; each becomes `{b64_json}` read from the store, or `{url}` signed for the client.
 * Only artifacts under the job's own id are served: a result naming another job's file (a
 * worker bug) must not hand that file to this tenant.
 */
export async function renderImagesResponse(
  result: Record<string, unknown>,
  jobId: string,
  rendering: ImageRendering,
): Promise<Record<string, unknown>> {
  const parsed = ImagesResult.safeParse(result);
  if (!parsed.success) throw unreadable("The image job finished, but its result could not be read.", "invalid_result");
  const images = parsed.data;
  if (images.data.some(({ artifact }) => !artifact.startsWith(`${jobId}/`))) {
    throw unreadable("The image job finished, but its result names files of another job.", "invalid_result");
  }
  const data = await Promise.all(
    images.data.map(async ({ artifact, revised_prompt }) => {
      const item: Record<string, unknown> =
        rendering.format === "url"
          ? { url: rendering.signer.url(rendering.baseUrl, artifact, rendering.expires) }
          : { b64_json: Buffer.from(await readArtifact(rendering.artifacts, artifact)).toString("base64") };
      if (revised_prompt !== undefined) item["revised_prompt"] = revised_prompt;
      return item;
    }),
  );
  const response: Record<string, unknown> = { created: images.created, data };
  for (const field of OPTIONAL_FIELDS) if (images[field] !== undefined) response[field] = images[field];
  return response;
}

async function readArtifact(artifacts: Pick<ArtifactStore, "getBytes">, name: string): Promise<Uint8Array> {
  let bytes: Uint8Array | null;
  try {
    bytes = await artifacts.getBytes(name);
  } catch (cause) {
    throw new ServiceUnavailableError("The image store is unavailable. Please retry shortly.", { cause });
  }
  if (bytes === null) throw unreadable("The generated image is no longer stored.", "artifact_not_found");
  return bytes;
}
