import type { FastifyInstance } from "fastify";
import { ModelNotFoundError, type ModelList } from "@switchyard/contracts";
import { toModelObject } from "@switchyard/catalog";
import type { IngressDeps } from "../deps.js";

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * `GET /v1/models` and `GET /v1/models/{id}`. The catalog is fixed for the life of the process,
 * so every answer is serialized once, here. Ids may contain `/` (`org/model`), hence the wildcard.
 */
export function registerModelRoutes(app: FastifyInstance, deps: Pick<IngressDeps, "catalog">): void {
  const models = deps.catalog.listModels().map(toModelObject);
  const list: ModelList = { object: "list", data: models };
  const listBody = JSON.stringify(list);
  const byId = new Map(models.map((m) => [m.id, JSON.stringify(m)]));

  app.get("/v1/models", (_request, reply) => {
    void reply.type(JSON_TYPE).send(listBody);
  });

  app.get<{ Params: { "*": string } }>("/v1/models/*", (request, reply) => {
    const id = request.params["*"];
    const body = byId.get(id);
    if (body === undefined) throw new ModelNotFoundError(id);
    void reply.type(JSON_TYPE).send(body);
  });
}
