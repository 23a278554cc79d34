// Readers for untrusted JSON from partners. They only look at own properties, so a body carrying
// `__proto__` or `constructor` keys reads as data, never as the prototype chain, and they never throw.

export type JsonRecord = Readonly<Record<string, unknown>>

/** Longest partner text we run a pattern over or copy into a classification. */
const MAX_TEXT = 2_000

export const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const field = (value: unknown, key: string): unknown =>
  isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined

export const recordField = (value: unknown, key: string): JsonRecord | undefined => {
  const found = field(value, key)
  return isRecord(found) ? found : undefined
}

export const arrayField = (value: unknown, key: string): ReadonlyArray<unknown> | undefined => {
  const found = field(value, key)
  return Array.isArray(found) ? found : undefined
}

/** A string field, cut to a length that keeps pattern matching cheap on hostile bodies. */
export const stringField = (value: unknown, key: string): string | undefined => {
  const found = field(value, key)
  return typeof found === "string" ? found.slice(0, MAX_TEXT) : undefined
}

const INTEGER_TEXT = /^\s*-?\d{1,15}\s*$/

/** An integer field; partners and proxies sometimes send numeric codes as strings. */
export const intField = (value: unknown, key: string): number | undefined => {
  const found = field(value, key)
  if (typeof found === "number") return Number.isSafeInteger(found) ? found : undefined
  if (typeof found === "string" && INTEGER_TEXT.test(found)) return Number.parseInt(found, 10)
  return undefined
}

/** A finite number field (usage percentages and minutes may be fractional). */
export const numberField = (value: unknown, key: string): number | undefined => {
  const found = field(value, key)
  if (typeof found === "number") return Number.isFinite(found) ? found : undefined
  if (typeof found === "string" && found.trim() !== "") {
    const parsed = Number(found)
    return Number.isFinite(parsed) ? parsed : undefined
  }
  return undefined
}

export const booleanField = (value: unknown, key: string): boolean | undefined => {
  const found = field(value, key)
  return typeof found === "boolean" ? found : undefined
}

/** Partner identifiers copied into a classification stay short and single-line. */
export const shortText = (text: string): string => text.replace(/\s+/g, " ").trim().slice(0, 120)

/** Parses JSON without throwing; undefined when the text is not JSON. */
export const parseJson = (text: string): { readonly ok: true; readonly value: unknown } | undefined => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return undefined
  }
}
