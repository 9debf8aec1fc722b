export { createDb } from "./create-db.js";
export type { CreateDbOptions } from "./create-db.js";
export { migrateToLatest } from "./migrate.js";
export type { MigrateOptions } from "./migrate.js";
export { createTemporaryDatabase } from "./temporary-database.js";
export type { TemporaryDatabase, TemporaryDatabaseOptions } from "./temporary-database.js";
export { TERMINAL_JOB_STATUSES } from "./schema.js";
export type {
  Database,
  JobsTable,
  AttemptsTable,
  UsageTable,
  WebhookDeliveriesTable,
  UsageDailyView,
  JobStatus,
  AttemptOutcome,
  UsageOutcome,
  WebhookOutcome,
  Job,
  NewJob,
  Attempt,
  NewAttempt,
  UsageRecord,
  NewUsageRecord,
  WebhookDelivery,
  NewWebhookDelivery,
} from "./schema.js";
