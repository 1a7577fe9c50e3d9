// The order of the steps is the dependency order: the project is read first
// (credentials, project number), the APIs are enabled before anything that
// needs them, accounts exist before bindings name them, the secret exists
// before its binding, the pool before its provider, and the variables come
// last because they describe everything above.

import type { BootstrapOptions, PlanInput, PlannedCommand, Step } from './step.ts';
import { apisStep } from './steps/apis.ts';
import { sqlDatabaseStep, sqlInstanceStep, sqlUserSecretStep } from './steps/cloudsql.ts';
import { githubStep } from './steps/github.ts';
import { actAsIamStep, projectIamStep, registryIamStep, secretIamStep } from './steps/iam.ts';
import { projectStep } from './steps/project.ts';
import { registryStep } from './steps/registry.ts';
import { deployerSaStep, runtimeSaStep } from './steps/service-accounts.ts';
import { wifBindingStep, wifPoolStep, wifProviderStep } from './steps/wif.ts';

export function bootstrapSteps(opts: Pick<BootstrapOptions, 'withCloudsql'>): Step[] {
  return [
    projectStep,
    apisStep,
    registryStep,
    runtimeSaStep,
    deployerSaStep,
    ...(opts.withCloudsql ? [sqlInstanceStep, sqlDatabaseStep, sqlUserSecretStep] : []),
    projectIamStep,
    registryIamStep,
    actAsIamStep,
    ...(opts.withCloudsql ? [secretIamStep] : []),
    wifPoolStep,
    wifProviderStep,
    wifBindingStep,
    githubStep,
  ];
}

export interface PlannedStep {
  id: string;
  title: string;
  commands: Array<PlannedCommand & { tool: 'gcloud' | 'gh' }>;
}

export function buildPlan(input: PlanInput): PlannedStep[] {
  return bootstrapSteps(input.opts).map((step) => ({
    id: step.id,
    title: step.title,
    commands: Object.values(step.commands(input)).map((c) => ({
      ...c,
      tool: step.id === 'github-variables' ? ('gh' as const) : ('gcloud' as const),
    })),
  }));
}

/** Every gcloud argv bootstrap can issue, for the real-parser test. */
export function allGcloudCommands(input: PlanInput): string[][] {
  return buildPlan(input).flatMap((s) =>
    s.commands.filter((c) => c.tool === 'gcloud').map((c) => c.argv),
  );
}
