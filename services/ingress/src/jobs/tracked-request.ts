import { z } from "zod";
import type { Catalog, Model } from "@switchyard/catalog";
import {
  BrokerError,
  ChatCompletionRequest,
  ImageGenerationRequest,
  InvalidRequestError,
  VideoCreateRequest,
  type ModelKind,
} from "@switchyard/contracts";
import { parseBody } from "../validation.js";
import { resolveModel } from "./resolve-model.js";

export const DEFAULT_VIDEO_SIZE = "720x1280";
export const DEFAULT_VIDEO_SECONDS = "4";

/** OpenAI's default video model, used when the catalog has it and the request names none. */
const DEFAULT_VIDEO_MODEL = "sora-2";

export interface TrackedRequest {
  readonly model: Model;
  /** The body the worker receives: validated, unknown fields kept, defaults filled in. */
  readonly request: Record<string, unknown>;
}

type CatalogView = Pick<Catalog, "getModel" | "listModels">;

const SCHEMAS = { chat: ChatCompletionRequest, image: ImageGenerationRequest, video: VideoCreateRequest } as const;

/**
 * `{ [prefix]: <kind's schema> }`, built once per kind and prefix: zod compiles a schema's
 * parser when it is first used, ~20 µs that a schema built per request paid every time.
 */
type NestedSchema = z.ZodType<Record<string, Record<string, unknown>>>;
const nestedSchemas = new Map<string, NestedSchema>();

function nestedSchema(kind: ModelKind, prefix: string): NestedSchema {
  const key = `${kind}:${prefix}`;
  let schema = nestedSchemas.get(key);
  if (schema === undefined) {
    schema = z.object({ [prefix]: SCHEMAS[kind] }) as unknown as NestedSchema;
    nestedSchemas.set(key, schema);
  }
  return schema;
}

/**
 * Validates a tracked job's body against its kind's schema. `prefix` names where the body sits
 * in the client's request (`body` in `POST /v1/jobs`), so `param` points at the right field.
 *
 * @example
 * const { model, request } = parseTrackedRequest("video", { prompt: "a cat" }, catalog);
 */
export function parseTrackedRequest(
  kind: ModelKind,
  body: unknown,
  catalog: CatalogView,
  prefix?: string,
): TrackedRequest {
  const parsed: Record<string, unknown> =
    prefix === undefined
      ? parseBody(SCHEMAS[kind], body)
      : (parseBody(nestedSchema(kind, prefix), { [prefix]: body })[prefix] as Record<string, unknown>);
  const at = (field: string): string => (prefix === undefined ? field : `${prefix}.${field}`);

  if (kind === "chat" && parsed["stream"] === true) {
    throw new InvalidRequestError("Tracked jobs cannot stream; use POST /v1/chat/completions with stream: true.", {
      param: at("stream"),
      code: "unsupported_parameter",
    });
  }
  // The worker reads `input_reference` as the name of an artifact this ingress stored; a name
  // from a client could point at another tenant's upload.
  if (kind === "video" && parsed["input_reference"] !== undefined) {
    throw new InvalidRequestError("Send input_reference as an image file in a multipart/form-data request.", {
      param: at("input_reference"),
      code: "unsupported_parameter",
    });
  }
  const model = withParamPrefix(() => pickModel(catalog, kind, parsed["model"]), prefix);
  const request: Record<string, unknown> = Object.assign({}, parsed, { model: model.id });
  if (kind === "video") {
    request["size"] ??= DEFAULT_VIDEO_SIZE;
    request["seconds"] ??= DEFAULT_VIDEO_SECONDS;
  }
  return { model, request };
}

/** The named model, or else the default video model, or else the catalog's first of the kind (as images choose). */
function pickModel(catalog: CatalogView, kind: ModelKind, requested: unknown): Model {
  if (typeof requested === "string") return resolveModel(catalog, requested, kind);
  const preferred = kind === "video" ? catalog.getModel(DEFAULT_VIDEO_MODEL) : undefined;
  const model = preferred?.kind === kind ? preferred : catalog.listModels().find((m) => m.kind === kind);
  if (!model) {
    throw new InvalidRequestError(`No ${kind} model is available; name one in 'model'.`, {
      param: "model",
      code: "model_not_found",
    });
  }
  return model;
}

function withParamPrefix<T>(run: () => T, prefix: string | undefined): T {
  try {
    return run();
  } catch (error) {
    if (prefix === undefined || !(error instanceof BrokerError) || error.param === null) throw error;
    throw new BrokerError(error.message, {
      status: error.status,
      type: error.type,
      code: error.code,
      param: `${prefix}.${error.param}`,
      cause: error,
    });
  }
}
