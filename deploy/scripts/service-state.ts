// Reads `gcloud run services describe --format=json` output for the deploy
// scripts (bash has no JSON parser we can count on).
//
//   node deploy/scripts/service-state.ts tag-url FILE TAG     URL of a traffic tag
//   node deploy/scripts/service-state.ts url FILE             the service URL
//   node deploy/scripts/service-state.ts serving FILE         "rev=90% rev2=10%" (what serves now)
//   node deploy/scripts/service-state.ts percent FILE REV     the traffic share of a revision
// Exit codes: 0 found, 1 not found, 2 bad usage or unreadable file.
import { readFileSync } from 'node:fs';
import { type ServiceState, servingRevisions } from './traffic-plan.ts';

const [cmd, file, arg] = process.argv.slice(2);
let state: ServiceState & { status?: { url?: string } };
try {
  state = JSON.parse(readFileSync(file ?? '', 'utf8'));
} catch (err) {
  console.error(`service-state: cannot read ${file}: ${(err as Error).message}`);
  process.exit(2);
}
const traffic = state.status?.traffic ?? [];
let out: string | undefined;
switch (cmd) {
  case 'tag-url':
    out = traffic.find((t) => t.tag === arg)?.url;
    break;
  case 'url':
    out = state.status?.url;
    break;
  case 'serving':
    out = servingRevisions(state).join(' ');
    break;
  case 'percent':
    out = String(
      traffic.filter((t) => t.revisionName === arg).reduce((s, t) => s + (t.percent ?? 0), 0),
    );
    break;
  default:
    console.error('usage: service-state.ts tag-url|url|serving|percent FILE [ARG]');
    process.exit(2);
}
if (!out) process.exit(1);
console.log(out);
