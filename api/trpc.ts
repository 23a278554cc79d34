// The single initTRPC of the service: context (request id, the process's runtime, the caller's
// Authorization header, the JWT key read once at start, the public URL), the error formatter (taxonomy code, user message, every
// invalid input field), the procedure builders by role, and `run` for procedures.
//
// Every procedure is authenticated (a Bearer HS256 JWT) before its input is even decoded, so an
// anonymous caller learns nothing from validation errors. Roles: `member` works in its own tenant,
// `admin` may also pause, resume and act on its tenant's DLQ, `ops` reads (and acts on the DLQ)
// across tenants.
import { initTRPC, StandardSchemaV1Error, TRPCError } from "@trpc/server"
import { Effect, type ManagedRuntime, Result, Schema } from "effect"
import { bearerToken, type JwtRefusal, type Principal, type Role, verifyJwt } from "./auth/Jwt.ts"
import type { AppServices } from "./AppServices.ts"
import { exitToPromise, TaxonomyCause } from "./errors.ts"

export interface TrpcContext {
  readonly requestId: string
  readonly runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
  readonly authorization: string | undefined
  /** The HS256 key bearer tokens are verified with (ApiSecrets, read once when the server starts). */
  readonly jwtKey: Uint8Array
  /** Where the API is reachable from the browser (links to the OAuth routes). */
  readonly publicUrl: string
}

export interface AuthedContext extends TrpcContext {
  readonly principal: Principal
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter: ({ shape, error }) => {
    const cause = error.cause
    return {
      ...shape,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        taxonomyCode: cause instanceof TaxonomyCause ? cause.taxonomyCode : null,
        userMessage: cause instanceof TaxonomyCause ? cause.userMessage : null,
        issues:
          cause instanceof StandardSchemaV1Error
            ? cause.issues.map((issue) => ({
                path: (issue.path ?? []).map((p) => (typeof p === "object" ? String(p.key) : String(p))).join("."),
                message: issue.message
              }))
            : null
      }
    }
  }
})

export const router = t.router

const REFUSALS: { readonly [R in JwtRefusal]: string } = {
  missing: "an Authorization: Bearer token is required",
  malformed: "the bearer token is not a valid JWT",
  algorithm: "the bearer token must be signed with HS256",
  signature: "the bearer token's signature does not verify",
  claims: "the bearer token lacks sub, tenant_id, a valid role or exp",
  expired: "the bearer token has expired",
  not_yet_valid: "the bearer token is not valid yet"
}

const authenticate = (ctx: TrpcContext): Result.Result<Principal, JwtRefusal> => {
  const token = bearerToken(ctx.authorization)
  if (token === undefined) return Result.fail("missing")
  return verifyJwt(ctx.jwtKey, token, Date.now() / 1_000)
}

const authed = t.middleware(({ ctx, next }) => {
  const result = authenticate(ctx)
  if (Result.isFailure(result)) throw new TRPCError({ code: "UNAUTHORIZED", message: REFUSALS[result.failure] })
  return next({ ctx: { ...ctx, principal: result.success } })
})

const requireRole = (...roles: ReadonlyArray<Role>) =>
  t.middleware(({ ctx, next }) => {
    const principal = (ctx as Partial<AuthedContext>).principal
    if (principal === undefined || !roles.includes(principal.role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `this needs the ${roles.join(" or ")} role` })
    }
    return next()
  })

/** Any authenticated caller, in its own tenant. */
export const memberProcedure = t.procedure.use(authed)
/** Tenant administrators: pause and resume channels, act on their tenant's DLQ. */
export const adminProcedure = memberProcedure.use(requireRole("admin"))
/** Operators: the views across tenants. */
export const opsProcedure = memberProcedure.use(requireRole("ops"))
/** The DLQ: a tenant's admin in its tenant, an operator across tenants. */
export const dlqProcedure = memberProcedure.use(requireRole("admin", "ops"))

/**
 * A procedure's input schema as tRPC takes it: every issue reported (each invalid field named), and
 * keys the schema does not know are an error, not silently dropped.
 */
export const input = <S extends Schema.ConstraintDecoder<unknown>>(schema: S) =>
  Schema.toStandardSchemaV1(schema, { parseOptions: { errors: "all", onExcessProperty: "error" } })

/** Runs one core effect for a procedure, annotated with the request id; failures map in errors.ts. */
export const run = <A, E>(ctx: TrpcContext, effect: Effect.Effect<A, E, AppServices>): Promise<A> =>
  ctx.runtime.runPromiseExit(effect.pipe(Effect.annotateLogs("requestId", ctx.requestId))).then(exitToPromise)
