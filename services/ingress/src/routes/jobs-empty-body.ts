import type { FastifyInstance } from "fastify";

/**
 * Lets the routes of one plugin scope take `Content-Type: application/json` with an empty body,
 * which many clients send on a body-less POST or DELETE (`/cancel`, `DELETE /v1/videos/{id}`);
 * Fastify's JSON parser would refuse it with a 400. Any other body is parsed by that same
 * parser, with its protections and errors.
 */
export function allowEmptyJsonBody(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser("error", "error");
  scope.removeContentTypeParser("application/json");
  scope.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body.toString();
    if (text === "") return done(null, undefined);
    void parseJson(request, text, done);
  });
}
