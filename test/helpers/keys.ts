/**
 * Keys for tests from test/fixtures/keys/ (made once by test/fixtures/make-keys.js, `make fixtures`),
 * instead of fresh ones: an RSA-3072 key takes seconds to make on a busy machine, and fixed keys give
 * the same fingerprints in every run.
 *
 * A key asked for by role is that role's fixture (ROLE-TYPE.asc), unless this test file has used it
 * already; then it is the next unused spare (spares-TYPE.asc), then any other unused fixture of the
 * type. Within one test file no key is handed out twice, so two keys asked for are two keys (jest
 * gives each test file its own module registry, hence its own `used`).
 *
 * Fixtures are made at T0 with no expiry. A key asked for with another User ID, creation time or
 * expiry keeps its fixture's key material and gets them as generateKey would have made them: the
 * creation time in the key packet (so its own fingerprint), and a new self-signature with the User ID
 * and the key expiration time (RFC 9580 §5.2.3.13).
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as openpgp from 'openpgp';
import { secondsBetween } from '../../lib/time';

export type FixtureType = 'ed25519' | 'rsa2048' | 'rsa3072';

/** When every fixture was made: T0 of world.ts. */
export const FIXTURES_MADE = new Date('2026-01-01T00:00:00Z');

const DIR = path.resolve(__dirname, '../fixtures/keys');
const used = new Set<string>();
const files = new Map<string, string[]>();

/** The armored keys of one fixture file, in order; each is `file#index` in `used`. */
function keysIn(file: string): string[] {
  let keys = files.get(file);
  if (!keys) {
    keys = readFileSync(path.join(DIR, file), 'utf8')
      .split(/(?=-----BEGIN PGP PRIVATE KEY BLOCK-----)/)
      .filter((k) => k.trim() !== '');
    files.set(file, keys);
  }
  return keys;
}

function take(role: string, type: FixtureType): string {
  const all = readdirSync(DIR)
    .filter((f) => f.endsWith(`-${type}.asc`))
    .sort();
  const order = [`${role}-${type}.asc`, `spares-${type}.asc`, ...all].filter((f) => all.includes(f));
  for (const file of order) {
    const index = keysIn(file).findIndex((_, i) => !used.has(`${file}#${i}`));
    if (index >= 0) {
      used.add(`${file}#${index}`);
      return keysIn(file)[index]!;
    }
  }
  throw new Error(
    `test/fixtures/keys/ has no unused ${type} key left for "${role}": raise SPARES in test/fixtures/make-keys.js and run \`make fixtures FORCE=--force\``,
  );
}

export interface FixtureKey {
  fingerprint: string;
  /** Armored secret key, protected when a passphrase was given. */
  secret: string;
  public: string;
}

/** A fixture key for `role`, with this User ID ("Name <address>"), creation time and expiry. */
export async function fixtureKey(options: {
  role: string;
  type: FixtureType;
  userID: string;
  created: Date;
  expires: Date | null;
  passphrase?: string | null;
}): Promise<FixtureKey> {
  const armored = take(options.role, options.type);
  const key = await openpgp.readPrivateKey({ armoredKey: armored });
  const asMade =
    key.getUserIDs()[0] === options.userID &&
    key.getCreationTime().getTime() === options.created.getTime() &&
    !options.expires &&
    !options.passphrase;
  if (asMade)
    return { fingerprint: key.getFingerprint().toUpperCase(), secret: armored, public: key.toPublic().armor() };

  const packet = key.keyPacket as openpgp.SecretKeyPacket & { computeFingerprintAndKeyID(): Promise<void> };
  packet.created = options.created;
  await packet.computeFingerprintAndKeyID();
  const m = /^(.*?)\s*<([^<>]+)>$/.exec(options.userID);
  if (!m) throw new Error(`User ID "${options.userID}" is not of the form "Name <address>"`);
  const made = await openpgp.reformatKey({
    privateKey: key,
    userIDs: [{ name: m[1]!, email: m[2]! }],
    date: options.created,
    keyExpirationTime: options.expires ? secondsBetween(options.created, options.expires) : 0,
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
    format: 'object',
  });
  return {
    fingerprint: made.privateKey.getFingerprint().toUpperCase(),
    secret: made.privateKey.armor(),
    public: made.publicKey.armor(),
  };
}
