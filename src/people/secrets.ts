/**
 * Passwords and bearer secrets of people.
 *
 * - Passwords: scrypt (`node:crypto`, N=2^15, r=8, p=1, 64-byte key, 16-byte salt) stored as
 *   `scrypt$N$r$p$salt$hash` so the cost can rise later without breaking old hashes; compared with
 *   `timingSafeEqual`. A login for an unknown username still runs one scrypt (against a fixed dummy hash),
 *   so the answer time does not tell which usernames exist.
 * - Session ids and API tokens are 32 random bytes: too long to guess, so a SHA-256 digest is enough to
 *   keep the database from holding usable secrets, and lookups stay one indexed equality.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 32768;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
// N=2^15 with r=8 needs 32 MiB; node's default maxmem (32 MiB) is exactly too small.
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, { N: n, r, p, maxmem: MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEY_LENGTH);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;

/** Constant-time check; `stored` undefined (no such user) still costs one scrypt and answers false. */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parts = (stored ?? DUMMY_HASH).split('$');
  const [scheme, n, r, p, salt, hash] = parts;
  if (parts.length !== 6 || scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p), expected.length);
  return timingSafeEqual(key, expected) && stored !== undefined;
}

/** A readable generated password (about 120 bits), printed once by `zapflow agents add`. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

/** A new bearer secret: 32 random bytes, with a prefix that says what it is when found in a config file. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function digestSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Equal-length digests compared in constant time (CSRF tokens, for one). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
