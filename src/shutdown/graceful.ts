// SIGTERM (Cloud Run's stop) or SIGINT: readiness turns 503 (the app's
// preClose hook), the server stops accepting, in-flight requests finish, the
// pool closes (onClose), the logs flush, and the process exits 0. All of it
// within the budget, as Cloud Run kills the instance 10 s after SIGTERM; a
// second signal or the deadline exits 1 at once.
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

export function installGracefulShutdown(app: FastifyInstance, timeoutMs: number): void {
  const log = app.log;
  closeWithGrace(
    {
      delay: timeoutMs,
      logger: false,
      onSecondSignal: (signal) => log.error({ signal }, `second ${signal}: exiting now`),
      onTimeout: (ms) => log.error(`shutdown did not finish within ${ms} ms: exiting now`),
    },
    async ({ signal, err }) => {
      if (err) log.fatal({ err }, 'uncaught error: shutting down');
      else log.info({ signal }, `${signal ?? 'exit'} received: shutting down`);
      await app.close();
      log.info('shutdown complete');
      // pino buffers nothing by default on stdout, but a destination may.
      (log as { flush?: () => void }).flush?.();
    },
  );
}
