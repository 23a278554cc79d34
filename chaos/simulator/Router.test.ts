import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { pathTemplate } from "./Router.ts"

describe("pathTemplate", () => {
  it("binds parameters and ignores a trailing slash on either side", () => {
    const feed = pathTemplate("/{version:v\\d+\\.\\d+}/{id}/feed")
    expect(feed.match("/v21.0/1000001/feed")).toEqual({ version: "v21.0", id: "1000001" })
    expect(feed.match("/v21.0/1000001/feed/")).toEqual({ version: "v21.0", id: "1000001" })
    expect(feed.match("/latest/1000001/feed")).toBeUndefined()
    expect(feed.match("/v21.0/1000001/photos")).toBeUndefined()
    expect(pathTemplate("/v2/post/publish/video/init/").match("/v2/post/publish/video/init")).toEqual({})
  })

  it("decodes percent-encoded segments and refuses empty or malformed ones", () => {
    const posts = pathTemplate("/v4/accounts/{account}/locations/{location}/localPosts")
    expect(posts.match("/v4/accounts/a%201/locations/l/localPosts")).toEqual({ account: "a 1", location: "l" })
    expect(posts.match("/v4/accounts//locations/l/localPosts")).toBeUndefined()
    expect(posts.match("/v4/accounts/%E0%A4%A/locations/l/localPosts")).toBeUndefined()
  })

  it("matches a path built from the template with any segment values", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/)
    fc.assert(
      fc.property(segment, segment, (a, b) => {
        const t = pathTemplate("/x/{a}/y/{b}")
        expect(t.match(`/x/${a}/y/${b}`)).toEqual({ a, b })
        expect(t.match(`/x/${a}/y`)).toBeUndefined()
      })
    )
  })
})
