import { InvalidRequestError, ModelNotFoundError, type ModelKind } from "@switchyard/contracts";
import type { Catalog, Model } from "@switchyard/catalog";

const ENDPOINTS: Readonly<Record<ModelKind, string>> = {
  chat: "/v1/chat/completions",
  image: "/v1/images/generations",
  video: "/v1/videos",
};

/** The catalog model a request names, which must serve `kind`; otherwise the 404 or 400 OpenAI gives. */
export function resolveModel(catalog: Pick<Catalog, "getModel">, id: string, kind: ModelKind): Model {
  const model = catalog.getModel(id);
  if (!model) throw new ModelNotFoundError(id);
  if (model.kind !== kind) {
    throw new InvalidRequestError(
      `The model '${id}' is a ${model.kind} model and is not supported by ${ENDPOINTS[kind]}; use ${ENDPOINTS[model.kind]}.`,
      { param: "model", code: "unsupported_model" },
    );
  }
  return model;
}
