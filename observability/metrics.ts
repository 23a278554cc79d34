// THE metric catalogue: every metric the system may record, with its instrument, unit and the only
// label keys it accepts. Labels are low-cardinality dimensions (platform, code, route…), never ids:
// tenant, connection, job and request ids belong in logs, where they cost nothing.
import type { ErrorAction, ErrorCode, Platform } from "../core/taxonomy/Taxonomy.ts"

export type InstrumentKind = "counter" | "histogram" | "gauge" | "updown"

export const LABEL_KEYS = [
  "platform",
  "code",
  "action",
  "outcome",
  "queue",
  "reason",
  "status",
  "route",
  "method",
  "metric"
] as const
export type LabelKey = (typeof LABEL_KEYS)[number]

/** What a label may hold. Taxonomy-backed keys only take the contract's values. */
export interface LabelValues {
  readonly platform: Platform
  readonly code: ErrorCode
  readonly action: ErrorAction
  /** success | failure | timeout */
  readonly outcome: string
  /** a pg-boss queue name */
  readonly queue: string
  readonly reason: string
  /** an HTTP status code, or a health status (healthy | warning | critical) */
  readonly status: string | number
  /** a route template, never a raw path with ids in it */
  readonly route: string
  readonly method: string
  readonly metric: MetricName
}

export interface MetricDefinition {
  readonly kind: InstrumentKind
  /** UCUM, as OpenTelemetry expects: "ms", or a {annotation} for counts. */
  readonly unit: string
  readonly description: string
  readonly labels: ReadonlyArray<LabelKey>
  /** Histogram bucket upper bounds, in the metric's unit. */
  readonly buckets?: ReadonlyArray<number>
}

// Partner calls: fast successes in tens of ms, slow ones up to the client timeout.
const CALL_MS = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000]
// Queue waits include scheduled retries, so the tail reaches hours.
const WAIT_MS = [100, 500, 1_000, 5_000, 15_000, 60_000, 300_000, 900_000, 3_600_000, 14_400_000, 86_400_000]
const HTTP_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]

/**
 * Names use dots here (OpenTelemetry style). In Prometheus (see `prometheusName`) every character
 * outside [a-zA-Z0-9_] becomes "_" and counters gain "_total": `connector.publish.success` is
 * scraped as `connector_publish_success_total`, `connector.rate_limit.429` as
 * `connector_rate_limit_429_total`, `queue.depth` as `queue_depth`, and a histogram such as
 * `connector.publish.latency_ms` as `connector_publish_latency_ms_bucket`, `_sum` and `_count`.
 */
export const METRICS = {
  "connector.publish.success": {
    kind: "counter",
    unit: "{publish}",
    description: "Posts a partner accepted.",
    labels: ["platform"]
  },
  "connector.publish.failure": {
    kind: "counter",
    unit: "{publish}",
    description: "Publish attempts that failed, by taxonomy code and the action taken.",
    labels: ["platform", "code", "action"]
  },
  "connector.publish.latency_ms": {
    kind: "histogram",
    unit: "ms",
    description: "Duration of one publish call to a partner, whatever its outcome.",
    labels: ["platform", "outcome"],
    buckets: CALL_MS
  },
  "connector.token.refresh.succeeded": {
    kind: "counter",
    unit: "{refresh}",
    description: "Access tokens refreshed with a stored refresh token.",
    labels: ["platform"]
  },
  "connector.token.refresh.failed": {
    kind: "counter",
    unit: "{refresh}",
    description: "Token refreshes that failed (becomes TOKEN_REFRESH_FAILED and a reconnect).",
    labels: ["platform", "code"]
  },
  "connector.rate_limit.429": {
    kind: "counter",
    unit: "{response}",
    description: "Throttling responses from a partner (RATE_LIMIT_429 and QUOTA_EXCEEDED).",
    labels: ["platform", "code"]
  },
  "connector.webhook.delivered": {
    kind: "counter",
    unit: "{delivery}",
    description: "Verified webhook deliveries accepted for processing.",
    labels: ["platform"]
  },
  "connector.webhook.signature_rejected": {
    kind: "counter",
    unit: "{delivery}",
    description: "Webhook requests rejected with 401 because their signature did not verify.",
    labels: ["platform"]
  },
  "connector.webhook.processing_failed": {
    kind: "counter",
    unit: "{delivery}",
    description: "Verified webhook events we failed to process.",
    labels: ["platform", "code"]
  },
  "connector.health_check.latency_ms": {
    kind: "histogram",
    unit: "ms",
    description: "Duration of one synthetic health check against a partner.",
    labels: ["platform", "outcome"],
    buckets: CALL_MS
  },
  "connector.health_check.status": {
    kind: "gauge",
    unit: "{connection}",
    description: "Connections in each health status after the latest health-check sweep.",
    labels: ["platform", "status"]
  },
  "connector.health_check.failures": {
    kind: "counter",
    unit: "{check}",
    description: "Synthetic health checks that failed, by taxonomy code.",
    labels: ["platform", "code"]
  },
  "queue.depth": {
    kind: "gauge",
    unit: "{job}",
    description: "Jobs waiting in a queue, sampled.",
    labels: ["queue"]
  },
  "queue.in_flight": {
    kind: "updown",
    unit: "{job}",
    description: "Jobs this process is working on right now.",
    labels: ["queue"]
  },
  "queue.wait_ms": {
    kind: "histogram",
    unit: "ms",
    description: "Time from a job becoming eligible to run to a worker starting it.",
    labels: ["queue"],
    buckets: WAIT_MS
  },
  "dlq.entries": {
    kind: "counter",
    unit: "{entry}",
    description: "Jobs written to the dead-letter queue, by DLQ reason and taxonomy code.",
    labels: ["queue", "reason", "code"]
  },
  "channel.paused": {
    kind: "counter",
    unit: "{channel}",
    description: "Channels paused, by the taxonomy code that paused them.",
    labels: ["platform", "code"]
  },
  "channel.resumed": {
    kind: "counter",
    unit: "{channel}",
    description: "Channels resumed, by how (reconnect, probe, manual).",
    labels: ["platform", "reason"]
  },
  "recovery.backfill.posts": {
    kind: "counter",
    unit: "{post}",
    description: "Held posts a backfill released to publish late, or skipped (too late, outside its window, or the backfill declined).",
    labels: ["platform", "outcome"]
  },
  "recovery.reconnect": {
    kind: "counter",
    unit: "{callback}",
    description:
      "OAuth connect and reconnect steps by how they ended: starts (started, or refused) and callbacks (reconnected, connected, wrong_account, denied …).",
    labels: ["platform", "outcome"]
  },
  "breaker.opened": {
    kind: "counter",
    unit: "{breaker}",
    description: "Per-connection circuit breakers that opened.",
    labels: ["platform"]
  },
  "classifier.classifications": {
    kind: "counter",
    unit: "{classification}",
    description: "Partner failures classified, by code and action.",
    labels: ["platform", "code", "action"]
  },
  "http.server.requests": {
    kind: "counter",
    unit: "{request}",
    description: "HTTP requests served.",
    labels: ["method", "route", "status"]
  },
  "http.server.duration_ms": {
    kind: "histogram",
    unit: "ms",
    description: "Time to serve an HTTP request.",
    labels: ["method", "route", "status"],
    buckets: HTTP_MS
  },
  "observability.metrics.rejected": {
    kind: "counter",
    unit: "{measurement}",
    description:
      "Measurements with a label outside the metric's catalogue entry (the label is dropped) or an invalid value (the measurement is dropped).",
    labels: ["metric", "reason"]
  }
} as const satisfies { readonly [name: string]: MetricDefinition }

export type MetricName = keyof typeof METRICS

export type MetricLabelKey<N extends MetricName> = (typeof METRICS)[N]["labels"][number]

/** Exactly the metric's label keys, each required, so a series always has the same dimensions. */
export type MetricLabels<N extends MetricName> = { readonly [K in MetricLabelKey<N>]: LabelValues[K] }

export type MetricOfKind<K extends InstrumentKind> = {
  [N in MetricName]: (typeof METRICS)[N]["kind"] extends K ? N : never
}[MetricName]

export const METRIC_NAMES = Object.keys(METRICS) as ReadonlyArray<MetricName>

export const metricDefinition = (name: MetricName): MetricDefinition => METRICS[name]

/** The name a metric is scraped under: the OpenTelemetry Prometheus exporter's rule, applied here once. */
export const prometheusName = (name: MetricName): string => {
  const base = name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/_{2,}/g, "_")
  return METRICS[name].kind === "counter" && !base.endsWith("_total") ? `${base}_total` : base
}
