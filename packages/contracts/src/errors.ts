/**
 * Typed errors shared by every service. Each carries what the HTTP edge needs to render the
 * OpenAI error envelope (`status`, `type`, `code`, `param`) and what a worker needs to decide
 * on a retry (`retryable`, `retryAfterMs`).
 *
 * @example
 * throw new InvalidRequestError("messages must not be empty", { param: "messages" });
 */
export interface BrokerErrorOptions {
  readonly code: string;
  readonly status: number;
  readonly type?: string;
  readonly param?: string | null;
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class BrokerError extends Error {
  readonly code: string;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: BrokerErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.status = options.status;
    this.type = options.type ?? (options.status >= 500 ? "server_error" : "invalid_request_error");
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class InvalidRequestError extends BrokerError {
  constructor(message: string, options: { param?: string | null; code?: string } = {}) {
    super(message, { status: 400, code: options.code ?? "invalid_request", param: options.param ?? null });
  }
}

export class AuthenticationError extends BrokerError {
  constructor(message = "Incorrect API key provided.") {
    super(message, { status: 401, code: "invalid_api_key", type: "invalid_request_error" });
  }
}

export class ModelNotFoundError extends BrokerError {
  constructor(model: string) {
    super(`The model '${model}' does not exist or you do not have access to it.`, {
      status: 404,
      code: "model_not_found",
      param: "model",
    });
  }
}

export class JobNotFoundError extends BrokerError {
  constructor(id: string) {
    super(`No job found with id '${id}'.`, { status: 404, code: "not_found", param: "id" });
  }
}

export class UpstreamRateLimitedError extends BrokerError {
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { status: 429, code: "rate_limit_exceeded", type: "rate_limit_error", retryable: true, ...options });
  }
}

export class UpstreamUnavailableError extends BrokerError {
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown; code?: string } = {}) {
    super(message, { status: 502, code: options.code ?? "upstream_unavailable", retryable: true, ...options });
  }
}

/** The upstream answered, but with something we must not hand to a client. */
export class UnusableOutputError extends BrokerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { status: 502, code: "unusable_output", retryable: true, cause: options.cause });
  }
}

/**
 * Upstream statuses that blame the request the client sent, and the status the client gets for
 * each: 400 (invalid, or longer than the model's context), 413 (larger than the upstream takes;
 * the ingress answers its own oversized bodies with 413 too) and 422 (well-formed but refused,
 * openai-node's `UnprocessableEntityError`). Every other rejection is the broker's own problem:
 * 401/403 are the route's API key, 402 its billing, 404 the route's upstream model or task name
 * (the client named a model the catalog has), 409/410 and the rest the broker's use of the API.
 */
const CLIENT_REJECTION_STATUS: Readonly<Record<number, number>> = { 400: 400, 413: 413, 422: 422 };

/**
 * Whether an upstream rejection with this status is the client's to fix, so the client may see
 * what the upstream said about it.
 *
 * @example
 * isClientRejection(400); // true
 * isClientRejection(401); // false: the broker's key, not the client's request
 */
export function isClientRejection(upstreamStatus: number): boolean {
  return CLIENT_REJECTION_STATUS[upstreamStatus] !== undefined;
}

/**
 * The upstream refused the request itself (a 4xx other than 408/429): retrying cannot help. A
 * rejection of the client's request keeps the upstream's status and may carry the upstream's
 * (cleaned) `code` and `param`; any other is a 502 with the broker's own code.
 */
export class UpstreamRejectedError extends BrokerError {
  constructor(
    message: string,
    upstreamStatus: number,
    options: { cause?: unknown; code?: string | null; param?: string | null } = {},
  ) {
    const clientStatus = CLIENT_REJECTION_STATUS[upstreamStatus];
    super(message, {
      status: clientStatus ?? 502,
      code: (clientStatus !== undefined ? options.code : undefined) ?? "upstream_rejected",
      param: clientStatus !== undefined ? options.param : null,
      retryable: false,
      cause: options.cause,
    });
  }
}

export class DeadlineExceededError extends BrokerError {
  constructor(message = "The request did not complete within its deadline.") {
    super(message, { status: 504, code: "timeout", type: "timeout_error" });
  }
}

export class ServiceUnavailableError extends BrokerError {
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, {
      status: 503,
      code: "service_unavailable",
      retryable: true,
      retryAfterMs: options.retryAfterMs ?? 1000,
      cause: options.cause,
    });
  }
}

/** The wire form of an error, as events carry it and as the OpenAI envelope nests it. */
export interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export function toErrorBody(error: BrokerError): ErrorBody {
  return { message: error.message, type: error.type, param: error.param, code: error.code };
}
