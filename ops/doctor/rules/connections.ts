// Pitfall 10: every instance opens up to DB_POOL_SIZE connections, and Cloud
// Run runs up to maxScale instances, so the pools together must fit within
// the connection limit of the Cloud SQL tier that bootstrap creates. Past it,
// new connections fail with "remaining connection slots are reserved".
import { APP_CONFIG, appDefaults } from '../app-config.ts';
import type { Repo } from '../repo.ts';
import { SERVICE_YAML, service } from '../service-yaml.ts';
import type { Found } from '../types.ts';

export const CLOUDSQL_STEP = 'ops/bootstrap/steps/cloudsql.ts';
/** Cloud SQL for PostgreSQL's default max_connections of the shared-core tiers. */
export const TIER_CONNECTIONS: Record<string, number> = { 'db-f1-micro': 25, 'db-g1-small': 50 };
/**
 * Connections kept free of the service's pools: PostgreSQL's 3 reserved
 * superuser slots (superuser_reserved_connections), 1 for the migration job
 * (which later in a deploy is the smoke-tested revision's one connection),
 * and 1 for an operator's psql.
 */
export const RESERVED_CONNECTIONS = 3 + 1 + 1;
/** Cloud Run's maximum instances of a revision when maxScale is not set. */
const DEFAULT_MAX_SCALE = 100;

export async function connections(repo: Repo): Promise<Found[]> {
  const tier = /--tier=([\w-]+)/.exec(repo.read(CLOUDSQL_STEP) ?? '')?.[1];
  const svc = service(repo);
  if (!tier || !svc) return [];
  const limit = TIER_CONNECTIONS[tier];
  if (limit === undefined)
    return [
      {
        id: 'database-tier-unknown',
        severity: 'warning',
        message: `${CLOUDSQL_STEP} creates tier ${tier}, whose connection limit doctor does not know; DB_POOL_SIZE × maxScale is not checked`,
        fix: `Check that DB_POOL_SIZE × maxScale in ${SERVICE_YAML} stays ${RESERVED_CONNECTIONS} below the tier's max_connections`,
        file: CLOUDSQL_STEP,
      },
    ];
  const poolEnv = svc.envValues.get('DB_POOL_SIZE');
  const pool = poolEnv === undefined ? (await appDefaults(repo))?.dbPoolSize : Number(poolEnv);
  const scaleAnnotation = svc.annotations['autoscaling.knative.dev/maxScale'];
  const maxScale = scaleAnnotation === undefined ? DEFAULT_MAX_SCALE : Number(scaleAnnotation);
  if (pool === undefined || pool * maxScale + RESERVED_CONNECTIONS <= limit) return [];
  const from = poolEnv === undefined ? `the default of ${APP_CONFIG}` : SERVICE_YAML;
  return [
    {
      id: 'database-connections-exceeded',
      severity: 'error',
      message: `DB_POOL_SIZE ${pool} (${from}) × maxScale ${maxScale}${scaleAnnotation === undefined ? " (unset: Cloud Run's default)" : ''} = ${pool * maxScale} connections, plus ${RESERVED_CONNECTIONS} kept free (PostgreSQL's reserved slots, the migration job, an operator's psql), exceeds the ${limit} that ${tier} (${CLOUDSQL_STEP}) allows`,
      fix: `Lower DB_POOL_SIZE or autoscaling.knative.dev/maxScale in ${SERVICE_YAML} so that their product is at most ${limit - RESERVED_CONNECTIONS}, or create a larger tier`,
      file: SERVICE_YAML,
    },
  ];
}
