// pino configured for Cloud Logging's structured JSON: `severity` instead of a
// numeric level, `message` instead of `msg`, error stacks where Error Reporting
// finds them. Google's own pino config package does the same, but depends on
// the whole @google-cloud/logging client (gRPC and all), which would be loaded
// at every cold start for a dozen lines of formatting.
import { type Logger, type LoggerOptions, pino, stdSerializers } from 'pino';
import type { Config } from '../config/env.ts';

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** Header and field names whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'databaseUrl',
  'password',
];

export function loggerOptions(config: Config): LoggerOptions {
  const serviceContext = { service: config.appName, version: config.appVersion };
  return {
    level: config.logLevel,
    messageKey: 'message',
    errorKey: 'err',
    base: undefined,
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: stdSerializers.err },
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      log(object) {
        const err = object.err as { stack?: unknown } | undefined;
        if (err && typeof err.stack === 'string') {
          // Error Reporting groups entries that carry the stack in `stack_trace`
          // together with this type marker and the service's name and version.
          return {
            ...object,
            stack_trace: err.stack,
            serviceContext,
            '@type':
              'type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent',
          };
        }
        return object;
      },
    },
  };
}

/**
 * JSON lines on stdout; pino-pretty (a dev dependency) when asked for and
 * installed, without the httpRequest object that the message already sums up.
 */
export function createLogger(config: Config): Logger {
  const options = loggerOptions(config);
  if (config.logPretty && canResolve('pino-pretty')) {
    return pino({
      ...options,
      messageKey: 'msg',
      formatters: {},
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,httpRequest' },
      },
    });
  }
  return pino(options);
}

function canResolve(specifier: string): boolean {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}
