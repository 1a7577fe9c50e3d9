// The error shape every error response of the API shares, whatever its status.
import { type Static, Type } from '@sinclair/typebox';

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'What went wrong, for a person' }),
    details: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'Machine-readable specifics; for validation errors, one message per failing field',
    }),
    path: Type.String({ description: 'The request path' }),
  },
  { $id: 'ErrorBody', title: 'Error' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** An error meant for the client: its status, message and details are sent as they are. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    statusCode: number,
    message: string,
    details: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.statusCode = statusCode;
    this.details = details;
    this.headers = headers;
  }
}

export const validationFailed = (fields: Record<string, string>) =>
  new ApiError(422, 'Validation failed', fields);

export const databaseUnavailable = () =>
  new ApiError(503, 'Database unavailable', {}, { 'retry-after': '1' });
