/**
 * Keys as people name them: a fingerprint, or a key ID (RFC 9580 §5.5.4: 64 bits of the fingerprint),
 * in any case, with spaces and a 0x prefix, as gpg and sq print them.
 */
import { PkgkeysError } from './errors';
import type { Fingerprint, KeyID } from './model';

/**
 * The fingerprint `given` names among `keys` (keys and subkeys). A fingerprint is taken as it is (one not
 * among `keys` is the caller's to report); a key ID must match exactly one of them.
 */
export function findKey(
  keys: Iterable<{ fingerprint: Fingerprint; keyID: KeyID }>,
  given: string,
  where: string,
): Fingerprint {
  const hex = given.replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase();
  if (/^([0-9A-F]{40}|[0-9A-F]{64})$/.test(hex)) return hex;
  if (!/^[0-9A-F]{16}$/.test(hex))
    throw new PkgkeysError(
      'USAGE',
      `"${given.slice(0, 80)}" is neither a fingerprint (40 hexadecimal digits) nor a key ID (16)`,
    );
  const matches = [...new Set([...keys].filter((k) => k.keyID === hex).map((k) => k.fingerprint))];
  if (matches.length === 0) throw new PkgkeysError('UNKNOWN_KEY', `no key or subkey with key ID ${hex} in ${where}`);
  if (matches.length > 1)
    throw new PkgkeysError(
      'USAGE',
      `key ID ${hex} is ambiguous in ${where}: ${matches.join(', ')}; give the fingerprint`,
    );
  return matches[0]!;
}
