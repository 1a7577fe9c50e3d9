// Who made a request, once a credential was verified: an id that names the
// key or token subject (never the credential itself) and what it may do.
export interface Principal {
  /** `key:<key id>`, `oidc:<sub>` or `google:<email>`: the rate limits count per id. */
  id: string;
  scopes: readonly string[];
}
