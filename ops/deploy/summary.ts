// The deploy's outcome for the job summary. What serves now is read from the
// service itself, so the summary is true whichever step stopped the deploy,
// a first deploy included.
import { GcloudError } from '../gcloud/run.ts';
import { NOTHING } from './revision.ts';
import { readService, type Service, serving, type Target } from './service.ts';

/** `previous`: what served before the revision step ran; unknown when it did not run. */
export type Outcome = Record<'failedStep' | 'revision' | 'image' | 'previous', string | undefined>;

export async function summarize(t: Target, o: Outcome): Promise<string> {
  let svc: Service | undefined;
  let unreadable = '';
  try {
    svc = await readService(t);
  } catch (err) {
    if (!(err instanceof GcloudError)) throw err;
    unreadable = err.line;
  }
  const code = (s: string | undefined) => s && `\`${s}\``;
  const now = serving(svc).join(' ');
  const rows = [
    [
      'Serving now',
      unreadable
        ? `unknown: ${unreadable}`
        : now
          ? code(now)
          : `nothing: ${svc ? `no revision of ${t.service} is ready` : `${t.service} does not exist`}`,
    ],
    ['URL', svc?.status?.url],
    ['New revision', code(o.revision)],
    ['Image', code(o.image)],
    ['Served before', o.previous === NOTHING ? 'nothing (first deploy)' : code(o.previous)],
  ];
  return [
    o.failedStep
      ? `## Deploy of ${t.service} stopped at ${o.failedStep} ❌\n\nThe log of that step says why.`
      : `## Deployed ${t.service} ✅`,
    '',
    '| | |',
    '|---|---|',
    ...rows.filter(([, v]) => v).map(([k, v]) => `| ${k} | ${v} |`),
  ].join('\n');
}
