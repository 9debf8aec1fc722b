import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import {
  SpanStatusCode,
  context as otelContext,
  propagation,
  trace,
  ROOT_CONTEXT,
  type Context,
  type ContextManager,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

/** A span as the recording tracer kept it. */
export interface RecordedSpan {
  name: string;
  kind: SpanKind | undefined;
  context: SpanContext;
  parent: SpanContext | undefined;
  links: Link[];
  attributes: Record<string, unknown>;
  status: SpanStatus;
  ended: boolean;
}

/**
 * Just enough of an OpenTelemetry SDK to assert on the spans code creates through
 * `@opentelemetry/api`: the ledger only depends on the API, as packages should.
 */
export function installRecordingTracer(): { spans: RecordedSpan[]; uninstall(): void } {
  const spans: RecordedSpan[] = [];
  const tracer: Tracer = {
    startSpan: (name: string, options: SpanOptions = {}, ctx: Context = otelContext.active()) => {
      const parent = options.root ? undefined : trace.getSpanContext(ctx);
      const record: RecordedSpan = {
        name,
        kind: options.kind,
        context: {
          traceId: parent?.traceId ?? randomBytes(16).toString("hex"),
          spanId: randomBytes(8).toString("hex"),
          traceFlags: 1,
        },
        parent,
        links: [...(options.links ?? [])],
        attributes: { ...options.attributes },
        status: { code: SpanStatusCode.UNSET },
        ended: false,
      };
      spans.push(record);
      return recordingSpan(record);
    },
    startActiveSpan: (() => {
      throw new Error("not used by the code under test");
    }) as Tracer["startActiveSpan"],
  };
  const provider: TracerProvider = { getTracer: () => tracer };
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(w3cTraceContext);
  otelContext.setGlobalContextManager(asyncContext());
  return {
    spans,
    uninstall: () => {
      trace.disable();
      propagation.disable();
      otelContext.disable();
    },
  };
}

function recordingSpan(record: RecordedSpan): Span {
  const span: Span = {
    spanContext: () => record.context,
    setAttribute: (key, value) => {
      record.attributes[key] = value;
      return span;
    },
    setAttributes: (attributes) => {
      Object.assign(record.attributes, attributes);
      return span;
    },
    addEvent: () => span,
    addLink: (link) => {
      record.links.push(link);
      return span;
    },
    addLinks: (links) => {
      record.links.push(...links);
      return span;
    },
    setStatus: (status) => {
      record.status = status;
      return span;
    },
    updateName: (name) => {
      record.name = name;
      return span;
    },
    end: () => {
      record.ended = true;
    },
    isRecording: () => !record.ended,
    recordException: () => undefined,
  };
  return span;
}

/** W3C `traceparent`, as the SDK's default propagator writes and reads it. */
const w3cTraceContext: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const sc = trace.getSpanContext(ctx);
    if (!sc) return;
    setter.set(carrier, "traceparent", `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`);
  },
  extract(ctx, carrier, getter) {
    const raw = getter.get(carrier, "traceparent");
    const value = Array.isArray(raw) ? raw[0] : raw;
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value ?? "");
    if (!match) return ctx;
    return trace.setSpanContext(ctx, {
      traceId: match[1]!,
      spanId: match[2]!,
      traceFlags: parseInt(match[3]!, 16),
      isRemote: true,
    });
  },
  fields: () => ["traceparent"],
};

/** `context.with()` that survives awaits, as the SDK's AsyncLocalStorage context manager does. */
function asyncContext(): ContextManager {
  const storage = new AsyncLocalStorage<Context>();
  const manager: ContextManager = {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
    bind: (_ctx, target) => target,
    enable: () => manager,
    disable: () => {
      storage.disable();
      return manager;
    },
  };
  return manager;
}
