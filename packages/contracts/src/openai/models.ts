import { z } from "zod";

export const ModelKind = z.enum(["chat", "image", "video"]);
export type ModelKind = z.infer<typeof ModelKind>;

/** `GET /v1/models` items: the OpenAI model object plus Switchyard's `kind` and `family`. */
export interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  kind: ModelKind;
  family: string;
}

export interface ModelList {
  object: "list";
  data: ModelObject[];
}
