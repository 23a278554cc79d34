// Records catalogue metrics (observability/metrics.ts) through OpenTelemetry, checking names and
// label keys by type and again at run time (offending labels are dropped and counted, never
// exported). Not Metrics.ts: beside metrics.ts that differs only in case, which tsc refuses.
import type { Attributes } from "@opentelemetry/api"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { DataPointType, type MetricData, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics"
import { Context, Effect, Layer } from "effect"
import {
  type InstrumentKind,
  METRIC_NAMES,
  METRICS,
  type MetricLabels,
  type MetricName,
  type MetricOfKind
} from "./metrics.ts"

export type PointLabels = { readonly [key: string]: string | number | boolean }

/** One collected series. Histogram bucket counts are per bucket (not cumulative); the last `le` is Infinity. */
export type MetricPoint =
  | {
      readonly name: MetricName
      readonly kind: "counter" | "updown" | "gauge"
      readonly labels: PointLabels
      readonly value: number
    }
  | {
      readonly name: MetricName
      readonly kind: "histogram"
      readonly labels: PointLabels
      readonly count: number
      readonly sum: number
      readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>
    }

/** A `/metrics` response body in the Prometheus text exposition format. */
export interface PrometheusScrape {
  readonly contentType: string
  readonly body: string
}

const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

export class MetricRecorder extends Context.Service<
  MetricRecorder,
  {
    /** Adds to a counter or up-down counter, records a histogram sample, or sets a gauge, per the catalogue. */
    readonly record: <N extends MetricName>(name: N, value: number, labels: MetricLabels<N>) => Effect.Effect<void>
    readonly increment: <N extends MetricOfKind<"counter">>(name: N, labels: MetricLabels<N>) => Effect.Effect<void>
    /** Every catalogue series collected so far. */
    readonly snapshot: Effect.Effect<ReadonlyArray<MetricPoint>>
    /** What the HTTP server answers on `/metrics`. */
    readonly scrape: Effect.Effect<PrometheusScrape>
  }
>()("postd/observability/MetricRecorder") {
  /**
   * Metrics for Prometheus to scrape through our own HTTP server: the exporter's own server never
   * starts, and `scrape` renders the same text it would serve.
   */
  static readonly layerPrometheus: Layer.Layer<MetricRecorder> = Layer.effect(
    MetricRecorder,
    Effect.suspend(() => makeRecorder(new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })))
  )

  /** In-memory reader, so tests assert on `snapshot` (or on `scrape`) without any I/O. */
  static readonly layerTest: Layer.Layer<MetricRecorder> = Layer.effect(
    MetricRecorder,
    Effect.suspend(() => makeRecorder(new InMemoryReader()))
  )
}

class InMemoryReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
}

type Writer = (value: number, attributes: Attributes) => void

const isMetricName = (name: string): name is MetricName => Object.hasOwn(METRICS, name)

const isLabelValue = (value: unknown): value is string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean"

const makeRecorder = (reader: MetricReader) =>
  Effect.gen(function* () {
    const provider = yield* Effect.acquireRelease(
      Effect.sync(() => new MeterProvider({ readers: [reader] })),
      (provider) => Effect.promise(() => provider.shutdown())
    )
    const meter = provider.getMeter("postd")
    const writers = new Map<MetricName, Writer>()
    const allowedLabels = new Map<MetricName, ReadonlySet<string>>()
    for (const name of METRIC_NAMES) {
      const definition = METRICS[name]
      const options = { description: definition.description, unit: definition.unit }
      allowedLabels.set(name, new Set<string>(definition.labels))
      switch (definition.kind) {
        case "counter": {
          const counter = meter.createCounter(name, options)
          writers.set(name, (value, attributes) => counter.add(value, attributes))
          break
        }
        case "updown": {
          const upDown = meter.createUpDownCounter(name, options)
          writers.set(name, (value, attributes) => upDown.add(value, attributes))
          break
        }
        case "gauge": {
          const gauge = meter.createGauge(name, options)
          writers.set(name, (value, attributes) => gauge.record(value, attributes))
          break
        }
        case "histogram": {
          const buckets = "buckets" in definition ? [...definition.buckets] : undefined
          const histogram = meter.createHistogram(name, {
            ...options,
            ...(buckets !== undefined ? { advice: { explicitBucketBoundaries: buckets } } : {})
          })
          writers.set(name, (value, attributes) => histogram.record(value, attributes))
          break
        }
      }
    }

    const reject = (metric: MetricName, reason: "label_not_allowed" | "invalid_value"): void => {
      writers.get("observability.metrics.rejected")?.(1, { metric, reason })
    }

    const write = (name: MetricName, value: number, labels: { readonly [key: string]: unknown }): void => {
      const writer = writers.get(name)
      const allowed = allowedLabels.get(name)
      if (writer === undefined || allowed === undefined) return
      const kind: InstrumentKind = METRICS[name].kind
      if (!Number.isFinite(value) || (kind === "counter" && value < 0)) {
        reject(name, "invalid_value")
        return
      }
      const attributes: Attributes = {}
      let dropped = false
      for (const [key, labelValue] of Object.entries(labels)) {
        if (allowed.has(key) && isLabelValue(labelValue)) attributes[key] = labelValue
        else dropped = true
      }
      if (dropped) reject(name, "label_not_allowed")
      writer(value, attributes)
    }

    const collect = Effect.promise(() => reader.collect())

    return MetricRecorder.of({
      record: (name, value, labels) => Effect.sync(() => write(name, value, labels)),
      increment: (name, labels) => Effect.sync(() => write(name, 1, labels)),
      snapshot: Effect.map(collect, ({ resourceMetrics }) =>
        resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.flatMap(toPoints))
      ),
      scrape: Effect.map(collect, ({ resourceMetrics }) => ({
        contentType: PROMETHEUS_CONTENT_TYPE,
        // The exporter's own rendering, with the same options as its constructor above.
        body: new PrometheusSerializer("", false, undefined, false, true).serialize(resourceMetrics)
      }))
    })
  })

const toLabels = (attributes: Attributes): PointLabels => {
  const labels: { [key: string]: string | number | boolean } = {}
  for (const [key, value] of Object.entries(attributes)) if (isLabelValue(value)) labels[key] = value
  return labels
}

const toPoints = (metric: MetricData): ReadonlyArray<MetricPoint> => {
  const name = metric.descriptor.name
  if (!isMetricName(name)) return []
  const kind = METRICS[name].kind
  switch (metric.dataPointType) {
    case DataPointType.SUM:
    case DataPointType.GAUGE:
      if (kind === "histogram") return []
      return metric.dataPoints.map((point) => ({
        name,
        kind,
        labels: toLabels(point.attributes),
        value: point.value
      }))
    case DataPointType.HISTOGRAM:
      return metric.dataPoints.map((point) => ({
        name,
        kind: "histogram",
        labels: toLabels(point.attributes),
        count: point.value.count,
        sum: point.value.sum ?? 0,
        buckets: point.value.buckets.counts.map((count, i) => ({
          le: point.value.buckets.boundaries[i] ?? Number.POSITIVE_INFINITY,
          count
        }))
      }))
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return []
  }
}

/** The series of `name` whose labels are exactly `labels`, if it was recorded. */
export const findPoint = <N extends MetricName>(
  points: ReadonlyArray<MetricPoint>,
  name: N,
  labels: MetricLabels<N>
): MetricPoint | undefined => {
  const wanted: { readonly [key: string]: unknown } = labels
  const keys = Object.keys(wanted)
  return points.find(
    (point) =>
      point.name === name &&
      Object.keys(point.labels).length === keys.length &&
      keys.every((key) => point.labels[key] === wanted[key])
  )
}
