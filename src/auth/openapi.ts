// How the OpenAPI document describes authentication: the schemes the config
// turns on (Swagger UI's Authorize button offers each), and what each
// protected operation accepts.
import type { Config } from '../config/env.ts';
import { keyPepper } from './authenticator.ts';

export function securitySchemes(config: Config): Record<string, unknown> {
  if (config.authDisabled) return {};
  return {
    ...(keyPepper(config)
      ? {
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'X-API-Key',
            description: 'An API key (rw_...)',
          },
        }
      : {}),
    bearer: {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key, an OIDC access token or a Google-signed ID token',
    },
    ...(config.authOidcIssuer
      ? {
          oidc: {
            type: 'openIdConnect',
            openIdConnectUrl: `${config.authOidcIssuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
          },
        }
      : {}),
  };
}

/** Any one of the schemes, with `scopes`. */
export function securityRequirements(
  config: Config,
  scopes: readonly string[],
): Record<string, string[]>[] {
  return Object.keys(securitySchemes(config)).map((name) => ({
    [name]: name === 'oidc' ? [...scopes] : [],
  }));
}
