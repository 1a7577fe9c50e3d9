// Tracing is opt-in (OTEL_TRACES_EXPORTER=otlp) and its code is loaded only
// then: the OpenTelemetry SDK costs cold start and memory that a service
// with tracing off must not pay. This file imports none of it; ./start.ts
// does, when loadTracing imports it.
import type { Config } from '../config/env.ts';
import type { Tracing } from './start.ts';

export type { Tracing };

export function tracingEnabled(config: Config): boolean {
  return config.otelTracesExporter === 'otlp' && !config.otelSdkDisabled;
}

export async function loadTracing(config: Config): Promise<Tracing | undefined> {
  if (!tracingEnabled(config)) return undefined;
  const { startTracing } = await import('./start.ts');
  return startTracing(config);
}
