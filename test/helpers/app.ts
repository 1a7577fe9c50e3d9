// Builds the app as the server does, on a test database, with its log lines
// captured so that tests can read what it wrote.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config/env.ts';
import type { Database } from '../../src/db/database.ts';
import { loggerOptions } from '../../src/logging/logger.ts';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
}

export async function testApp(
  database: Database,
  env: Record<string, string> = {},
  prepare?: (app: FastifyInstance) => void,
): Promise<TestApp> {
  const config = loadConfig({
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'info',
    ACCESS_LOG: 'false',
    // The API's own tests call it without credentials; test/auth/ turns authentication on.
    AUTH_DISABLED: 'true',
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const app = await buildApp(config, { database, logger: pino(loggerOptions(config), sink) });
  prepare?.(app);
  await app.ready();
  return { app, config, logs };
}
