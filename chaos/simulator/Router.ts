// Path templates like "/{version}/{id}/feed" or "/{version:v\d+\.\d+}/me": one segment per
// parameter, an optional pattern per parameter, trailing slashes ignored. The template is also the
// path recorded in the call log, so ids never turn into distinct entries.
export type Params = Readonly<Record<string, string>>

interface Segment {
  readonly literal?: string
  readonly param?: string
  readonly pattern?: RegExp
}

export interface PathTemplate {
  /** As written, without parameter patterns. */
  readonly template: string
  readonly match: (path: string) => Params | undefined
}

const segmentsOf = (path: string): ReadonlyArray<string> => {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
  return trimmed.split("/").slice(1)
}

const compileSegment = (text: string): Segment => {
  const param = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::(.+))?\}$/.exec(text)
  if (param === null) return { literal: text }
  const name = param[1] ?? ""
  const pattern = param[2]
  return pattern === undefined ? { param: name } : { param: name, pattern: new RegExp(`^(?:${pattern})$`) }
}

export const pathTemplate = (template: string): PathTemplate => {
  const segments = segmentsOf(template).map(compileSegment)
  return {
    // The display form drops parameter patterns: "/{version}/{id}/feed".
    template: template.replace(/\{([A-Za-z_][A-Za-z0-9_]*):[^/]*\}/g, "{$1}"),
    match: (path) => {
      const parts = segmentsOf(path)
      if (parts.length !== segments.length) return undefined
      const params: Record<string, string> = {}
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i]
        const raw = parts[i]
        if (segment === undefined || raw === undefined) return undefined
        let part: string
        try {
          part = decodeURIComponent(raw)
        } catch {
          return undefined
        }
        if (segment.literal !== undefined) {
          if (segment.literal !== part) return undefined
        } else if (segment.param !== undefined) {
          if (part === "" || (segment.pattern !== undefined && !segment.pattern.test(part))) return undefined
          params[segment.param] = part
        }
      }
      return params
    }
  }
}
