export interface PostgresHandle {
  /** A superuser URL for the `postgres` database; create per-use databases from it. */
  adminUrl: string;
  /** True when this process started (or took over) the server; `stop()` is a no-op otherwise. */
  started: boolean;
  stop(): Promise<void>;
}
