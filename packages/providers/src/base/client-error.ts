import { UpstreamRejectedError, isClientRejection } from "@switchyard/contracts";

/** What of an upstream error body a client may see once it is cleaned; each dialect's `errors.ts` fills it. */
export interface UpstreamErrorReport {
  /** The upstream's own explanation, as sent. Bounded and scrubbed before a client sees it. */
  message?: string | undefined;
  /** The request field the upstream blames, in OpenAI's terms (`messages`, `temperature`). */
  param?: string | undefined;
  /**
   * The OpenAI error `code` the rejection stands for (`context_length_exceeded`): an OpenAI-
   * compatible upstream's own code, or what a dialect's error means in OpenAI's words.
   */
  publicCode?: string | undefined;
}

/** Long enough for any real provider message (OpenAI's longest are ~400 characters). */
const MAX_MESSAGE_CHARS = 1000;
/** Only this much of a message is scrubbed; the rest is cut anyway. */
const MAX_SCANNED_CHARS = 4096;
const REDACTED = "[redacted]";

/**
 * Shapes of credentials in provider messages: OpenAI's 401 echoes the key masked
 * (`sk-ab***xyz`), Google's keys start `AIza`, Anthropic's `sk-ant-`, and gateways quote
 * `Bearer` headers or `key=` query strings. Long opaque tokens go too: a key in a format no
 * rule knows looks like one.
 */
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /\b(?:sk|pk|rk)[-_][\w.*-]{3,}/gi,
  /\bAIza[\w-]{8,}/g,
  /\bbearer\s+\S+/gi,
  /\b(?:api[_-]?key|access[_-]?token|secret|password)\s*[=:]\s*\S+/gi,
  /\b(?:key|token)=\S+/gi,
  /\S*\*{3,}\S*/g,
  /\borg-[A-Za-z0-9]{6,}/g,
  /\b(?=[A-Za-z_-]*\d)(?=[\d_-]*[A-Za-z])[A-Za-z0-9_-]{32,}\b/g,
];

/** Pieces of a credential this long are unlikely to appear in a message by chance. */
const FRAGMENT_CHARS = 8;

/**
 * The upstream's message as a client may see it: control characters and runs of spaces
 * collapsed, the route's own credentials (whole or any 8-character piece of them) and anything
 * shaped like a credential replaced by `[redacted]`, at most 1000 characters. Undefined when
 * nothing readable is left.
 *
 * @example
 * clientMessage("Incorrect API key provided: sk-ab***xyz."); // "Incorrect API key provided: [redacted]"
 */
export function clientMessage(raw: unknown, secrets: readonly string[] = []): string | undefined {
  if (typeof raw !== "string") return undefined;
  let text = raw.slice(0, MAX_SCANNED_CHARS).replace(/[\u0000-\u001f\u007f]+/g, " ");
  for (const secret of secrets) text = redactSecret(text, secret);
  for (const pattern of CREDENTIAL_PATTERNS) text = text.replace(pattern, REDACTED);
  text = text.replace(/\s+/g, " ").trim();
  if (text === "") return undefined;
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}

function redactSecret(text: string, secret: string): string {
  if (secret.length < FRAGMENT_CHARS) return secret === "" ? text : text.split(secret).join(REDACTED);
  const pieces = new Set<string>();
  for (let i = 0; i + FRAGMENT_CHARS <= secret.length; i++) pieces.add(secret.slice(i, i + FRAGMENT_CHARS));
  // Whole words are replaced, so a key cut short or wrapped in quotes goes with what surrounds it.
  return text.replace(/\S+/g, (word) => ([...pieces].some((piece) => word.includes(piece)) ? REDACTED : word));
}

/** A `param` as OpenAI writes them (`messages`, `messages[0].content`, `tools[1].function.name`). */
export function clientParam(raw: unknown): string | undefined {
  return typeof raw === "string" && /^[A-Za-z0-9_.[\]-]{1,128}$/.test(raw) ? raw : undefined;
}

/** An error `code` as OpenAI writes them (`context_length_exceeded`); a bare number is a status, not a code. */
export function clientCode(raw: unknown): string | undefined {
  return typeof raw === "string" && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(raw) ? raw : undefined;
}

/** The credentials a request carries in its headers, to be kept out of anything a client sees. */
export function credentialsIn(headers: Record<string, string>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === "authorization") secrets.push(value.replace(/^\s*\S+\s+/, "").trim());
    else if (lower.includes("key") || lower.includes("token")) secrets.push(value.trim());
  }
  return secrets.filter((secret) => secret !== "");
}

/**
 * The error for an upstream rejection. A rejection of the client's request (see
 * `isClientRejection`) says what the upstream said: its cleaned message, code and param, so a
 * client can tell a too-long prompt from a bad parameter. Any other (the route's key, its model
 * name) keeps `fallbackMessage`, which names only the status and a short code, since the
 * upstream's words there describe the broker's account, not the client's request.
 */
export function rejectedError(
  status: number,
  fallbackMessage: string,
  report: UpstreamErrorReport,
  options: { cause: unknown; secrets?: readonly string[] | undefined },
): UpstreamRejectedError {
  if (!isClientRejection(status)) return new UpstreamRejectedError(fallbackMessage, status, { cause: options.cause });
  return new UpstreamRejectedError(clientMessage(report.message, options.secrets) ?? fallbackMessage, status, {
    code: clientCode(report.publicCode) ?? null,
    param: clientParam(report.param) ?? null,
    cause: options.cause,
  });
}
