// The API speaks JSON only: a text/plain body is a 415, not a string to
// validate. JSON bodies go through Fastify's own parser, but decoded
// strictly first: Fastify would turn invalid UTF-8 into U+FFFD and store
// text the client never sent.
import type { FastifyInstance } from 'fastify';
import { validationFailed } from '../errors/api-error.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

export function jsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  // Refuses "__proto__" keys, and "constructor" keys holding "prototype".
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(validationFailed({ body: 'must be valid UTF-8' }), undefined);
    }
    parse(request, text, (err, value) => {
      // Valid JSON that the parser refused: it holds one of those keys.
      if (err && parses(text)) {
        return done(
          validationFailed({
            body: 'must not have "__proto__" keys, or "constructor" keys holding "prototype": they could change the prototypes of objects built from it',
          }),
          undefined,
        );
      }
      done(err, value);
    });
  });
}
