import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { findPoint, MetricRecorder } from "./MetricRecorder.ts"
import { LABEL_KEYS, METRIC_NAMES, METRICS, prometheusName } from "./metrics.ts"

const valueIn = (point: ReturnType<typeof findPoint>): number | undefined =>
  point !== undefined && point.kind !== "histogram" ? point.value : undefined

describe("MetricRecorder", () => {
  it.effect("adds to a counter per label set", () =>
    Effect.gen(function* () {
      const metrics = yield* MetricRecorder
      yield* metrics.increment("connector.publish.success", { platform: "meta" })
      yield* metrics.increment("connector.publish.success", { platform: "meta" })
      yield* metrics.record("connector.publish.success", 3, { platform: "linkedin" })
      const points = yield* metrics.snapshot
      assert.strictEqual(valueIn(findPoint(points, "connector.publish.success", { platform: "meta" })), 2)
      assert.strictEqual(valueIn(findPoint(points, "connector.publish.success", { platform: "linkedin" })), 3)
      assert.isUndefined(findPoint(points, "connector.publish.success", { platform: "tiktok" }))
    }).pipe(Effect.provide(MetricRecorder.layerTest)))

  it.effect("records histogram samples into the catalogue's buckets", () =>
    Effect.gen(function* () {
      const metrics = yield* MetricRecorder
      for (const ms of [8, 40, 345]) {
        yield* metrics.record("connector.publish.latency_ms", ms, { platform: "meta", outcome: "success" })
      }
      const point = findPoint(yield* metrics.snapshot, "connector.publish.latency_ms", {
        platform: "meta",
        outcome: "success"
      })
      assert.strictEqual(point?.kind, "histogram")
      if (point?.kind !== "histogram") return
      assert.strictEqual(point.count, 3)
      assert.strictEqual(point.sum, 393)
      assert.deepStrictEqual(
        point.buckets.filter((bucket) => bucket.count > 0),
        [
          { le: 10, count: 1 },
          { le: 50, count: 1 },
          { le: 500, count: 1 }
        ]
      )
      assert.strictEqual(point.buckets.at(-1)?.le, Number.POSITIVE_INFINITY)
    }).pipe(Effect.provide(MetricRecorder.layerTest)))

  it.effect("keeps the last value of a gauge and the running sum of an up-down counter", () =>
    Effect.gen(function* () {
      const metrics = yield* MetricRecorder
      yield* metrics.record("queue.depth", 1_250, { queue: "publish" })
      yield* metrics.record("queue.depth", 900, { queue: "publish" })
      yield* metrics.record("queue.in_flight", 3, { queue: "publish" })
      yield* metrics.record("queue.in_flight", -1, { queue: "publish" })
      const points = yield* metrics.snapshot
      assert.strictEqual(valueIn(findPoint(points, "queue.depth", { queue: "publish" })), 900)
      assert.strictEqual(valueIn(findPoint(points, "queue.in_flight", { queue: "publish" })), 2)
    }).pipe(Effect.provide(MetricRecorder.layerTest)))

  it.effect("drops a label outside the catalogue entry, keeps the measurement and counts the rejection", () =>
    Effect.gen(function* () {
      const metrics = yield* MetricRecorder
      // A labels object built elsewhere escapes the excess-property check; the recorder still refuses the id.
      const labels = { platform: "tiktok", code: "RATE_LIMIT_429", tenantId: "tenant-42" } as const
      yield* metrics.increment("connector.rate_limit.429", labels)
      const points = yield* metrics.snapshot
      const series = points.filter((point) => point.name === "connector.rate_limit.429")
      assert.deepStrictEqual(
        series.map((point) => point.labels),
        [{ platform: "tiktok", code: "RATE_LIMIT_429" }]
      )
      assert.isFalse(JSON.stringify(points).includes("tenant-42"))
      assert.strictEqual(
        valueIn(
          findPoint(points, "observability.metrics.rejected", {
            metric: "connector.rate_limit.429",
            reason: "label_not_allowed"
          })
        ),
        1
      )
    }).pipe(Effect.provide(MetricRecorder.layerTest)))

  it.effect("drops a negative or non-finite counter increment and counts it", () =>
    Effect.gen(function* () {
      const metrics = yield* MetricRecorder
      yield* metrics.record("dlq.entries", -1, { queue: "publish", reason: "MAX_RETRIES", code: "PARTNER_5XX" })
      yield* metrics.record("breaker.opened", Number.NaN, { platform: "meta" })
      const points = yield* metrics.snapshot
      assert.isUndefined(points.find((point) => point.name === "dlq.entries"))
      assert.isUndefined(points.find((point) => point.name === "breaker.opened"))
      assert.strictEqual(
        valueIn(findPoint(points, "observability.metrics.rejected", { metric: "dlq.entries", reason: "invalid_value" })),
        1
      )
    }).pipe(Effect.provide(MetricRecorder.layerTest)))

  it("refuses, at compile time, a metric outside the catalogue and a label outside its entry", () => {
    const compileOnly = (metrics: MetricRecorder["Service"]) => [
      // @ts-expect-error not a catalogue metric
      metrics.increment("connector.publish.successes", { platform: "meta" }),
      // @ts-expect-error an id is never a label
      metrics.increment("connector.publish.success", { platform: "meta", tenantId: "t1" }),
      // @ts-expect-error a label the entry requires is missing
      metrics.increment("connector.publish.failure", { platform: "meta", code: "PARTNER_5XX" }),
      // @ts-expect-error taxonomy-backed labels take only contract values
      metrics.increment("classifier.classifications", { platform: "meta", code: "BOOM", action: "SEND_TO_DLQ" }),
      // @ts-expect-error histograms are recorded, not incremented
      metrics.increment("http.server.duration_ms", { method: "GET", route: "/healthz", status: 200 })
    ]
    assert.isFunction(compileOnly)
  })

  it.effect("renders Prometheus text under the names metrics.ts documents", () =>
    Effect.gen(function* () {
      const metrics = yield* MetricRecorder
      yield* metrics.increment("connector.rate_limit.429", { platform: "tiktok", code: "RATE_LIMIT_429" })
      yield* metrics.record("connector.publish.latency_ms", 345, { platform: "meta", outcome: "success" })
      yield* metrics.record("queue.depth", 7, { queue: "publish" })
      const { contentType, body } = yield* metrics.scrape
      assert.include(contentType, "text/plain")
      assert.include(body, `${prometheusName("connector.rate_limit.429")}{platform="tiktok",code="RATE_LIMIT_429"} 1`)
      assert.strictEqual(prometheusName("connector.rate_limit.429"), "connector_rate_limit_429_total")
      assert.include(body, `${prometheusName("connector.publish.latency_ms")}_count{platform="meta",outcome="success"} 1`)
      assert.include(body, `${prometheusName("queue.depth")}{queue="publish"} 7`)
      assert.include(body, "# TYPE connector_publish_latency_ms histogram")
    }).pipe(Effect.provide(MetricRecorder.layerTest)))

  it.effect("serves the same text from the Prometheus exporter layer without starting its server", () =>
    Effect.gen(function* () {
      const metrics = yield* MetricRecorder
      yield* metrics.increment("http.server.requests", { method: "GET", route: "/healthz", status: 200 })
      const { body } = yield* metrics.scrape
      assert.include(body, 'http_server_requests_total{method="GET",route="/healthz",status="200"} 1')
      const point = findPoint(yield* metrics.snapshot, "http.server.requests", {
        method: "GET",
        route: "/healthz",
        status: 200
      })
      assert.strictEqual(valueIn(point), 1)
    }).pipe(Effect.provide(MetricRecorder.layerPrometheus)))
})

describe("metric catalogue", () => {
  it("declares only known label keys, never an id, and buckets only on histograms", () => {
    for (const name of METRIC_NAMES) {
      const definition = METRICS[name]
      for (const label of definition.labels) {
        assert.include(LABEL_KEYS, label, `${name}: ${label}`)
        assert.notMatch(label, /id$/i, `${name}: ${label}`)
      }
      assert.strictEqual("buckets" in definition, definition.kind === "histogram", name)
    }
  })

  it("maps every name to a distinct, valid Prometheus name", () => {
    const names = METRIC_NAMES.map(prometheusName)
    assert.strictEqual(new Set(names).size, names.length)
    for (const name of names) assert.match(name, /^[a-zA-Z_][a-zA-Z0-9_]*$/)
  })
})
