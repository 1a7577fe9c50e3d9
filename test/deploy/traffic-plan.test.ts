import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planTraffic, servingRevisions } from '../../deploy/scripts/traffic-plan.ts';

describe('planTraffic', () => {
  it('keeps a split exactly and adds the new revision at 0 % with its tag', () => {
    const current = {
      status: {
        traffic: [
          { revisionName: 'a', percent: 90, latestRevision: true },
          { revisionName: 'b', percent: 10, tag: 'canary' },
        ],
      },
    };
    assert.deepEqual(planTraffic(current, 'c', 'sha-ccccccc'), [
      { revisionName: 'a', percent: 90 },
      { revisionName: 'b', percent: 10, tag: 'canary' },
      { revisionName: 'c', percent: 0, tag: 'sha-ccccccc' },
    ]);
    assert.deepEqual(servingRevisions(current), ['a=90%', 'b=10%']);
  });

  it('never leaves latestRevision: true, which would move traffic to the new revision', () => {
    const plan = planTraffic(
      { status: { traffic: [{ revisionName: 'a', percent: 100, latestRevision: true }] } },
      'b',
      'sha-b',
    );
    assert.ok(plan.every((t) => t.latestRevision === undefined));
  });

  it('drops earlier sha- tags at 0 % but keeps other tags', () => {
    const plan = planTraffic(
      {
        status: {
          traffic: [
            { revisionName: 'a', percent: 100 },
            { revisionName: 'x', percent: 0, tag: 'sha-xxxxxxx' },
            { revisionName: 'y', percent: 0, tag: 'preview' },
          ],
        },
      },
      'b',
      'sha-bbbbbbb',
    );
    assert.deepEqual(
      plan.map((t) => t.tag ?? t.revisionName),
      ['a', 'preview', 'sha-bbbbbbb'],
    );
  });

  it('gives a first deploy all traffic', () => {
    assert.deepEqual(planTraffic(undefined, 'a', 'sha-a'), [
      { revisionName: 'a', percent: 100, tag: 'sha-a' },
    ]);
  });

  it('refuses traffic that does not add up', () => {
    assert.throws(
      () =>
        planTraffic({ status: { traffic: [{ revisionName: 'a', percent: 50 }] } }, 'b', 'sha-b'),
      /50 %/,
    );
  });
});
