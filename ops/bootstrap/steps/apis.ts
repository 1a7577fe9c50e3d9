// Enables every API in one call, before any step that needs one: creating a
// repository or a service account against a disabled API fails with
// SERVICE_DISABLED, and enabling takes a minute to propagate.
import { BASE_APIS, CLOUDSQL_APIS } from '../../names.ts';
import type { BootstrapOptions, Step } from '../step.ts';
import { read, write } from '../step.ts';

export function requiredApis(opts: Pick<BootstrapOptions, 'withCloudsql'>): string[] {
  return opts.withCloudsql ? [...BASE_APIS, ...CLOUDSQL_APIS] : [...BASE_APIS];
}

export const apisStep: Step<'list' | 'enable'> = {
  id: 'apis',
  title: 'Required APIs are enabled',
  commands: ({ opts }) => ({
    list: read([
      'services',
      'list',
      '--enabled',
      `--project=${opts.project}`,
      '--format=json(config.name)',
    ]),
    enable: write(
      ['services', 'enable', ...requiredApis(opts), `--project=${opts.project}`],
      'for the APIs that are not enabled yet',
    ),
  }),
  async apply(ctx) {
    const { opts } = ctx.input;
    const cmds = this.commands(ctx.input);
    const enabled = await ctx.gcloud.json<Array<{ config?: { name?: string } }>>(cmds.list.argv, {
      what: 'list the enabled APIs',
      project: opts.project,
      role: 'roles/serviceusage.serviceUsageViewer',
    });
    const have = new Set((enabled ?? []).map((s) => s.config?.name));
    const missing = requiredApis(opts).filter((a) => !have.has(a));
    if (missing.length === 0) return { status: 'unchanged', changes: [] };
    await ctx.gcloud.must(['services', 'enable', ...missing, `--project=${opts.project}`], {
      what: `enable ${missing.join(', ')}`,
      project: opts.project,
      role: 'roles/serviceusage.serviceUsageAdmin',
    });
    return { status: 'created', changes: missing.map((a) => `enabled ${a}`) };
  },
};
