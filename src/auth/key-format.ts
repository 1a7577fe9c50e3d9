// What an API key looks like: rw_<id>_<secret><checksum>, all base62.
//   rw_         the type, so that a key is recognisable wherever it leaks
//   id          12 characters: the public key id, what is stored and shown
//   secret      32 characters: ~190 random bits, stored only as an HMAC
//   checksum    6 characters: CRC-32 of everything before it, so that a
//               secret scanner (and this service, before any lookup) can
//               tell a real key from a typo or a random string offline
import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_PREFIX = 'rw_';
const ID_LENGTH = 12;
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const KEY = new RegExp(
  `^${KEY_PREFIX}([0-9A-Za-z]{${ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);
export const KEY_ID = new RegExp(`^[0-9A-Za-z]{${ID_LENGTH}}$`);

const random = (length: number) =>
  Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export interface KeyParts {
  id: string;
  secret: string;
}

export function formatKey({ id, secret }: KeyParts): string {
  const body = `${KEY_PREFIX}${id}_${secret}`;
  return body + checksum(body);
}

export function newKey(): KeyParts & { key: string } {
  const parts = { id: random(ID_LENGTH), secret: random(SECRET_LENGTH) };
  return { ...parts, key: formatKey(parts) };
}

/** The id and secret of a well-formed key with a valid checksum; undefined for anything else. */
export function parseKey(key: string): KeyParts | undefined {
  const m = KEY.exec(key);
  if (!m) return undefined;
  const [, id = '', secret = '', sum] = m;
  return checksum(`${KEY_PREFIX}${id}_${secret}`) === sum ? { id, secret } : undefined;
}
