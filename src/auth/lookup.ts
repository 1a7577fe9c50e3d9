// What a credential's check gives when no cache settles it.

/**
 * A credential that no cache settles: `settle` looks it up (the database,
 * or the issuer's keys). The caller's address is charged before it runs, so
 * that made-up credentials cost their sender, not the database. `claimed`
 * is the principal the credential was verified as before, when it is only
 * due for revalidation: its budget is that principal's.
 */
export class Lookup<T> {
  readonly settle: () => Promise<T>;
  readonly claimed: string | undefined;
  constructor(settle: () => Promise<T>, claimed?: string) {
    this.settle = settle;
    this.claimed = claimed;
  }
}

/** A verdict at once where a cache knows the credential, else the lookup that gives one. */
export type Verdict<T> = T | Lookup<T>;
