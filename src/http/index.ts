// Public API of the HTTP layer (the app itself is composed in src/http/app.ts / src/app.ts).
export * from './admin/index.js';
export { MIN_ADMIN_TOKEN_LENGTH, bearerTokenOf, requireBearerToken, type BearerAuthOptions } from './auth.js';
export {
  HttpConfigError, HttpError, RequestValidationError, jsonErrorHandler, jsonNotFound, toHttpError, type ValidationIssue,
} from './errors.js';
export { checkReadiness, createHealthRouter, type CheckOutcome, type HealthRouterOptions, type ReadinessReport } from './health.js';
export {
  createMetrics, stepLabel, webhookProviderOf, webhookResultOf,
  type Metrics, type MetricsOptions, type OutboxCounts, type WebhookProvider, type WebhookResult,
} from './metrics.js';
export { REQUEST_ID_HEADER, acceptedRequestId, requestIdMiddleware, type RequestIdOptions } from './request-id.js';
