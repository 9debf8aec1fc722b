import { BrokerError } from "@switchyard/contracts";
import { parseJobIdParam, type NotFound } from "../jobs/tracked.js";

export interface VideoParams {
  Params: { id: string };
}

export const videoNotFound: NotFound = (id) =>
  new BrokerError(`No video found with id '${id}'.`, { status: 404, code: "not_found", param: "id" });

/** The video id in a URL; job ids (`job_...`) are not videos, even video jobs from the job API. */
export function videoIdParam(id: string): string {
  return parseJobIdParam(id, videoNotFound, "video");
}
