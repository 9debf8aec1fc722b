import type { ErrorBody } from "../errors.js";

/** The envelope every non-2xx answer of the public API carries. */
export interface ErrorEnvelope {
  error: ErrorBody;
}
