// Reads the project first: it proves the credentials work and that the
// project exists, and gives the project number that Workload Identity
// principals are written with.
import type { Step } from '../step.ts';
import { read } from '../step.ts';

export const projectStep: Step<'describe'> = {
  id: 'project',
  title: 'Project exists and is reachable',
  commands: ({ opts }) => ({
    describe: read(['projects', 'describe', opts.project, '--format=json']),
  }),
  async apply(ctx) {
    const { describe } = this.commands(ctx.input);
    const project = await ctx.gcloud.json<{ projectNumber?: string; lifecycleState?: string }>(
      describe.argv,
      {
        what: `read project ${ctx.input.opts.project}`,
        project: ctx.input.opts.project,
        role: 'roles/viewer',
      },
    );
    if (!project?.projectNumber) throw new Error('gcloud did not return a project number');
    ctx.input.projectNumber = project.projectNumber;
    const notes = [`project number ${project.projectNumber}`];
    if (project.lifecycleState && project.lifecycleState !== 'ACTIVE') {
      notes.push(`project state is ${project.lifecycleState}`);
    }
    return { status: 'unchanged', changes: [], notes };
  },
};
