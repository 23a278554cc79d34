// One Schema-backed tagged error per taxonomy code; the tag is the code itself, so logs, the DLQ
// and the API speak the contract verbatim. Retryability lives on the code's entry, never on the error.
import { Schema } from "effect"
import { type ErrorCode, isErrorCode, Platform } from "./Taxonomy.ts"

/** What an operator needs to act on a failure. Never holds a token or a request body. */
export const ErrorDetail = {
  message: Schema.String,
  platform: Schema.optionalKey(Platform),
  httpStatus: Schema.optionalKey(Schema.Int),
  partnerCode: Schema.optionalKey(Schema.String),
  requestId: Schema.optionalKey(Schema.String),
  retryAfterMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)))
}

export class AuthExpired extends Schema.TaggedError<AuthExpired>()("AUTH_EXPIRED", ErrorDetail) {}
export class AuthInvalid extends Schema.TaggedError<AuthInvalid>()("AUTH_INVALID", ErrorDetail) {}
export class AppDeauthorized extends Schema.TaggedError<AppDeauthorized>()("APP_DEAUTHORIZED", ErrorDetail) {}
export class PermissionInsufficient extends Schema.TaggedError<PermissionInsufficient>()(
  "PERMISSION_INSUFFICIENT",
  ErrorDetail
) {}
export class TokenRefreshFailed extends Schema.TaggedError<TokenRefreshFailed>()("TOKEN_REFRESH_FAILED", ErrorDetail) {}
export class AccountRestricted extends Schema.TaggedError<AccountRestricted>()("ACCOUNT_RESTRICTED", ErrorDetail) {}
export class ResourceNotFound extends Schema.TaggedError<ResourceNotFound>()("RESOURCE_NOT_FOUND", ErrorDetail) {}
export class RateLimited extends Schema.TaggedError<RateLimited>()("RATE_LIMIT_429", ErrorDetail) {}
export class QuotaExceeded extends Schema.TaggedError<QuotaExceeded>()("QUOTA_EXCEEDED", ErrorDetail) {}
export class Partner5xx extends Schema.TaggedError<Partner5xx>()("PARTNER_5XX", ErrorDetail) {}
export class PartnerUnavailable extends Schema.TaggedError<PartnerUnavailable>()("PARTNER_UNAVAILABLE", ErrorDetail) {}
export class NetworkError extends Schema.TaggedError<NetworkError>()("NETWORK_ERROR", ErrorDetail) {}
export class Timeout extends Schema.TaggedError<Timeout>()("TIMEOUT", ErrorDetail) {}
export class TlsError extends Schema.TaggedError<TlsError>()("TLS_ERROR", ErrorDetail) {}
export class ValidationError extends Schema.TaggedError<ValidationError>()("VALIDATION_ERROR", ErrorDetail) {}
export class ContentRejected extends Schema.TaggedError<ContentRejected>()("CONTENT_REJECTED", ErrorDetail) {}
export class DuplicateContent extends Schema.TaggedError<DuplicateContent>()("DUPLICATE_CONTENT", ErrorDetail) {}
export class MediaInvalid extends Schema.TaggedError<MediaInvalid>()("MEDIA_INVALID", ErrorDetail) {}
export class CapabilityUnsupported extends Schema.TaggedError<CapabilityUnsupported>()(
  "CAPABILITY_UNSUPPORTED",
  ErrorDetail
) {}
export class CircuitBreakerOpen extends Schema.TaggedError<CircuitBreakerOpen>()("CIRCUIT_BREAKER_OPEN", ErrorDetail) {}
export class WebhookSignatureInvalid extends Schema.TaggedError<WebhookSignatureInvalid>()(
  "WEBHOOK_SIGNATURE_INVALID",
  ErrorDetail
) {}
export class WebhookFailure extends Schema.TaggedError<WebhookFailure>()("WEBHOOK_FAILURE", ErrorDetail) {}
export class UnknownPartnerError extends Schema.TaggedError<UnknownPartnerError>()("UNKNOWN", ErrorDetail) {}

type ErrorDetail = Schema.Struct.Type<typeof ErrorDetail>
type ErrorClassFor<C extends ErrorCode> = new (detail: ErrorDetail) => { readonly _tag: C }
/** The shape ERROR_CLASSES must satisfy: exactly one class per code, its tag equal to the code. */
export type ErrorClassRegistry = { readonly [C in ErrorCode]: ErrorClassFor<C> }

/**
 * The code → class registry. `satisfies` over the mapped type turns a code without a class, a
 * class filed under another code, or a key that is not a code into a type error.
 */
export const ERROR_CLASSES = {
  AUTH_EXPIRED: AuthExpired,
  AUTH_INVALID: AuthInvalid,
  APP_DEAUTHORIZED: AppDeauthorized,
  PERMISSION_INSUFFICIENT: PermissionInsufficient,
  TOKEN_REFRESH_FAILED: TokenRefreshFailed,
  ACCOUNT_RESTRICTED: AccountRestricted,
  RESOURCE_NOT_FOUND: ResourceNotFound,
  RATE_LIMIT_429: RateLimited,
  QUOTA_EXCEEDED: QuotaExceeded,
  PARTNER_5XX: Partner5xx,
  PARTNER_UNAVAILABLE: PartnerUnavailable,
  NETWORK_ERROR: NetworkError,
  TIMEOUT: Timeout,
  TLS_ERROR: TlsError,
  VALIDATION_ERROR: ValidationError,
  CONTENT_REJECTED: ContentRejected,
  DUPLICATE_CONTENT: DuplicateContent,
  MEDIA_INVALID: MediaInvalid,
  CAPABILITY_UNSUPPORTED: CapabilityUnsupported,
  CIRCUIT_BREAKER_OPEN: CircuitBreakerOpen,
  WEBHOOK_SIGNATURE_INVALID: WebhookSignatureInvalid,
  WEBHOOK_FAILURE: WebhookFailure,
  UNKNOWN: UnknownPartnerError
} as const satisfies ErrorClassRegistry

/** Any taxonomy error: the union of the 23 classes. */
export type TaxonomyError = InstanceType<(typeof ERROR_CLASSES)[ErrorCode]>

/** The Schema of the union, for decoding errors carried in job payloads or the DLQ. */
export const TaxonomyError = Schema.Union(Object.values(ERROR_CLASSES))

export const makeTaxonomyError = (code: ErrorCode, detail: ErrorDetail): TaxonomyError =>
  new ERROR_CLASSES[code](detail)

export const isTaxonomyError = (value: unknown): value is TaxonomyError =>
  typeof value === "object" && value !== null && "_tag" in value && isErrorCode(value._tag) && value instanceof Error
