// Pitfall 10 (../pitfalls.ts): the service's database pools fit the Cloud SQL tier.
import { APP_CONFIG, appDefaults } from '../app-config.ts';
import type { Repo } from '../repo.ts';
import { SERVICE_YAML, service } from '../service-yaml.ts';
import type { Found } from '../types.ts';

export const CLOUDSQL_STEP = 'ops/bootstrap/plan.ts';
/** Cloud SQL for PostgreSQL's default max_connections of the shared-core tiers. */
export const TIER_CONNECTIONS: Record<string, number> = { 'db-f1-micro': 25, 'db-g1-small': 50 };
/**
 * Connections the pools must leave free: PostgreSQL's 3 reserved superuser
 * slots (superuser_reserved_connections), 1 for the migration job (later in a
 * deploy, the smoke-tested revision's one connection) and 1 for an operator's psql.
 */
export const RESERVED_CONNECTIONS = 3 + 1 + 1;

export async function connections(repo: Repo): Promise<Found[]> {
  const tier = /--tier=([\w-]+)/.exec(repo.read(CLOUDSQL_STEP) ?? '')?.[1];
  const svc = service(repo);
  if (!tier || !svc) return [];
  const limit = TIER_CONNECTIONS[tier];
  if (limit === undefined) {
    const message = `${CLOUDSQL_STEP} creates tier ${tier}, whose connection limit doctor does not know`;
    const fix = `Check that DB_POOL_SIZE × maxScale + ${RESERVED_CONNECTIONS} stays within its max_connections`;
    return [
      { id: 'database-tier-unknown', severity: 'warning', message, fix, file: CLOUDSQL_STEP },
    ];
  }
  const poolEnv = svc.envValues.get('DB_POOL_SIZE');
  const pool = Number(poolEnv ?? (await appDefaults(repo))?.dbPoolSize);
  // Cloud Run runs at most 100 instances of a revision when maxScale is not set.
  const maxScale = Number(svc.annotations['autoscaling.knative.dev/maxScale'] ?? 100);
  if (!(pool * maxScale + RESERVED_CONNECTIONS > limit)) return []; // NaN: no pool size known
  const from = poolEnv === undefined ? `the default of ${APP_CONFIG}` : SERVICE_YAML;
  const message = `DB_POOL_SIZE ${pool} (${from}) × maxScale ${maxScale} = ${pool * maxScale} connections, plus ${RESERVED_CONNECTIONS} kept free (PostgreSQL's reserved slots, the migration job, an operator's psql), exceeds the ${limit} that ${tier} (${CLOUDSQL_STEP}) allows`;
  const fix = `Lower DB_POOL_SIZE or autoscaling.knative.dev/maxScale in ${SERVICE_YAML} so that their product is at most ${limit - RESERVED_CONNECTIONS}, or create a larger tier`;
  return [
    { id: 'database-connections-exceeded', severity: 'error', message, fix, file: SERVICE_YAML },
  ];
}
