import { context, propagation, type Context, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";
import { headers as createHeaders, type MsgHdrs } from "@nats-io/transport-node";

const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => (carrier?.has(key) ? carrier.get(key) : undefined),
};

/**
 * Writes W3C `traceparent`/`tracestate` (and baggage) of `ctx` into NATS headers, as HTTP
 * clients do into request headers. Every publish in Switchyard goes through here.
 */
export function injectTraceContext(headers: MsgHdrs = createHeaders(), ctx: Context = context.active()): MsgHdrs {
  propagation.inject(ctx, headers, setter);
  return headers;
}

/**
 * The trace context of `ctx` as a plain W3C carrier (`traceparent`, `tracestate`), to keep with
 * data that outlives the request, such as a job's status record; empty with tracing off.
 */
export function captureTraceContext(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a carrier from `captureTraceContext` names, on top of `base`. */
export function restoreTraceContext(carrier: Record<string, string>, base: Context = context.active()): Context {
  return propagation.extract(base, carrier);
}

/** The trace context a publisher left in a message's headers, or the active one if none. */
export function extractTraceContext(headers: MsgHdrs | undefined, base: Context = context.active()): Context {
  return propagation.extract(base, headers, getter);
}
