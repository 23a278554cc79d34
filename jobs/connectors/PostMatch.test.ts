import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { findOurPost, isOurPost, parsePartnerTime, SKEW_MARGIN_MS } from "./PostMatch.ts"

const INTENT = new Date("2026-11-23T10:00:00.000Z")

describe("parsePartnerTime", () => {
  it("reads ISO strings, Meta's colon-less offsets and epoch milliseconds", () => {
    assert.strictEqual(parsePartnerTime("2026-11-23T10:00:00+0000")?.toISOString(), "2026-11-23T10:00:00.000Z")
    assert.strictEqual(parsePartnerTime("2026-11-23T11:30:00+0130")?.toISOString(), "2026-11-23T10:00:00.000Z")
    assert.strictEqual(parsePartnerTime("2026-11-23T10:00:00.123456Z")?.toISOString(), "2026-11-23T10:00:00.123Z")
    assert.strictEqual(parsePartnerTime(INTENT.getTime())?.toISOString(), INTENT.toISOString())
  })

  it("gives undefined for anything that is not a time", () => {
    for (const value of [undefined, null, "", "yesterday", Number.NaN, Number.POSITIVE_INFINITY, {}, []]) {
      assert.isUndefined(parsePartnerTime(value))
    }
  })
})

describe("isOurPost", () => {
  it("matches exactly the same text created no earlier than the intent less the skew margin", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -3_600_000, max: 3_600_000 }), (text, offsetMs) => {
        const createdAt = new Date(INTENT.getTime() + offsetMs)
        const expected = offsetMs >= -SKEW_MARGIN_MS
        assert.strictEqual(isOurPost({ id: "1", text, createdAt }, { text, intentAt: INTENT }), expected)
      })
    )
  })

  it("never matches a different text, whatever the time", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }), (a, b, intentAt) => {
        fc.pre(a !== b)
        assert.isFalse(isOurPost({ id: "1", text: a, createdAt: new Date() }, { text: b, intentAt }))
      })
    )
  })

  it("does not take a post without a readable creation time when the intent time bounds the search", () => {
    assert.isFalse(isOurPost({ id: "1", text: "hi", createdAt: undefined }, { text: "hi", intentAt: INTENT }))
    assert.isTrue(isOurPost({ id: "1", text: "hi", createdAt: undefined }, { text: "hi" }))
  })

  it("is case and whitespace sensitive: exact text only", () => {
    const createdAt = INTENT
    assert.isFalse(isOurPost({ id: "1", text: "Hello", createdAt }, { text: "hello", intentAt: INTENT }))
    assert.isFalse(isOurPost({ id: "1", text: "hello ", createdAt }, { text: "hello", intentAt: INTENT }))
  })
})

describe("findOurPost", () => {
  const content = { text: "Launch day", format: "text", mediaUrls: [] } as const

  it("skips an older post with the same text and returns the recent one", () => {
    const posts = [
      { id: "new-other", text: "Something else", createdAt: new Date(INTENT.getTime() + 5_000) },
      { id: "recent", text: "Launch day", createdAt: new Date(INTENT.getTime() + 1_000) },
      { id: "old", text: "Launch day", createdAt: new Date(INTENT.getTime() - 86_400_000) }
    ]
    assert.strictEqual(findOurPost(posts, { content, intentAt: INTENT })?.id, "recent")
    assert.isUndefined(findOurPost(posts.slice(2), { content, intentAt: INTENT }))
  })

  it("accepts any of the forms the platform may list the text in", () => {
    const posts = [{ id: "escaped", text: "Launch \\#day", createdAt: INTENT }]
    const forms = (t: string) => [t.replace("#", "\\#"), t]
    assert.strictEqual(findOurPost(posts, { content: { ...content, text: "Launch #day" }, intentAt: INTENT }, forms)?.id, "escaped")
  })
})
