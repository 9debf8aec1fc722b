/** What the ledger logs through; Fastify's pino logger (`app.log`) is one. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
