/**
 * The decomposed keyring: one OpenPGP packet per file, named by fingerprint, so that a certification or
 * a revocation is a one-file change that review can see (archlinux-keyring's keyringctl is the model).
 *
 *     <FPR>/<FPR>.asc                              primary public key
 *     <FPR>/direct/<FPR>.asc                       direct-key self-signature (newest)
 *     <FPR>/direct/<REVOKER>.asc                   an older direct-key self-signature naming REVOKER as designated revoker
 *     <FPR>/revocation/<ISSUER>.asc                key revocation by ISSUER, the key or a designated revoker (the strongest: hard before soft, then earliest)
 *     <FPR>/uid/<NAME>/<NAME>.asc                  User ID; NAME is the User ID with unsafe characters as _
 *     <FPR>/uid/<NAME>/certification/<ISSUER>.asc  newest certification by ISSUER (self-signature: ISSUER = FPR)
 *     <FPR>/uid/<NAME>/revocation/<ISSUER>.asc     newest revocation by ISSUER (of the User ID, or of ISSUER's certification)
 *     <FPR>/subkey/<SUB>/<SUB>.asc                 subkey
 *     <FPR>/subkey/<SUB>/certification/<FPR>.asc   newest binding signature
 *     <FPR>/subkey/<SUB>/revocation/<FPR>.asc      subkey revocation (the strongest)
 *
 * The layout is a pure function of the model (`decompose`), and the model is what the packets in the
 * files say (`assemble`, then lib/pgp/): a keyring is well-formed exactly when it equals its own
 * decomposition. Files are listed in assembly order, which is also RFC 9580 §10.1 packet order, so the
 * export of a keyring is the concatenation of its files: sorted and reproducible.
 */
import { PkgkeysError } from '../errors';
import type { Certificate, HasPacket, Revocation } from '../model';

export interface KeyringFile {
  /** Relative path with `/` separators. */
  path: string;
  /** One binary packet. */
  packet: Uint8Array;
  kind: 'key' | 'signature';
}

/** A directory name for a User ID: readable, portable and unable to leave its directory. */
function userIDName(text: string): string {
  const name = text
    .replace(/[^A-Za-z0-9.@+-]+/g, '_')
    .replace(/^[._]+|_+$/g, '')
    .slice(0, 96);
  return name === '' ? '_' : name;
}

export function decompose(certificates: Iterable<Certificate>): KeyringFile[] {
  const files: KeyringFile[] = [];
  const key = (path: string, part: HasPacket) => files.push({ path, packet: part.packet, kind: 'key' });
  const sig = (path: string, part: HasPacket | null) =>
    part && files.push({ path, packet: part.packet, kind: 'signature' });
  for (const cert of [...certificates].sort(by((c) => c.fingerprint))) {
    const fpr = cert.fingerprint;
    key(`${fpr}/${fpr}.asc`, cert);
    sig(`${fpr}/direct/${fpr}.asc`, cert.direct);
    // A revoker named only by an older direct-key self-signature keeps it (RFC 9580 §5.2.3.23).
    const kept = new Set(
      [cert.direct, ...cert.userIDs.map((u) => u.self)].map((s) => s && Buffer.from(s.packet).toString('base64')),
    );
    for (const r of [...cert.revokers].sort(by((r) => r.fingerprint))) {
      if (!kept.has(Buffer.from(r.packet).toString('base64'))) sig(`${fpr}/direct/${r.fingerprint}.asc`, r);
    }
    const revocationIssuers = [...new Set(cert.revocations.map((r) => r.issuer))].sort();
    for (const issuer of revocationIssuers)
      sig(`${fpr}/revocation/${issuer}.asc`, strongest(cert.revocations.filter((r) => r.issuer === issuer)));
    const names = new Map<string, string>();
    for (const uid of [...cert.userIDs].sort(by((u) => userIDName(u.text)))) {
      const name = userIDName(uid.text);
      if (names.has(name)) {
        throw new PkgkeysError(
          'KEYRING_INVALID',
          `${fpr}: User IDs "${names.get(name)}" and "${uid.text}" would share the directory uid/${name}`,
        );
      }
      names.set(name, uid.text);
      const dir = `${fpr}/uid/${name}`;
      key(`${dir}/${name}.asc`, uid);
      const certifications = [
        ...(uid.self ? [{ issuer: fpr, part: uid.self }] : []),
        ...uid.certifications.map((c) => ({ issuer: c.issuer, part: c })),
      ];
      for (const c of certifications.sort(by((c) => c.issuer))) sig(`${dir}/certification/${c.issuer}.asc`, c.part);
      const revocations = [
        ...(uid.revocations.length > 0 ? [newest(uid.revocations)] : []),
        ...uid.certificationRevocations,
      ];
      for (const r of revocations.sort(by((r) => r.issuer))) sig(`${dir}/revocation/${r.issuer}.asc`, r);
    }
    for (const sub of [...cert.subkeys].sort(by((s) => s.fingerprint))) {
      const dir = `${fpr}/subkey/${sub.fingerprint}`;
      key(`${dir}/${sub.fingerprint}.asc`, sub);
      sig(`${dir}/certification/${fpr}.asc`, sub.binding);
      sig(`${dir}/revocation/${fpr}.asc`, strongest(sub.revocations));
    }
  }
  return files;
}

/**
 * Where a path belongs: its key in assembly order (sorting by it gives RFC 9580 §10.1 order) and the
 * kind of packet it holds; null for a path the layout has no place for.
 */
export function place(path: string): { order: string; kind: KeyringFile['kind'] } | null {
  const p = path.split('/');
  const fpr = p[0]!;
  if (!/^[0-9A-F]{40}$/.test(fpr)) return null;
  const named = (name: string | undefined, file: string | undefined) => file === `${name}.asc`;
  const bySigner = (file: string | undefined) => file !== undefined && /^[0-9A-F]{40}\.asc$/.test(file);
  if (p.length === 2 && named(fpr, p[1])) return { order: `${fpr}/0`, kind: 'key' };
  if (p.length === 3 && (p[1] === 'direct' || p[1] === 'revocation') && bySigner(p[2])) {
    return { order: `${fpr}/${p[1] === 'direct' ? 1 : 2}/${p[2]}`, kind: 'signature' };
  }
  if (p.length >= 4 && (p[1] === 'uid' || p[1] === 'subkey')) {
    const group = `${fpr}/${p[1] === 'uid' ? 3 : 4}/${p[2]}`;
    if (p.length === 4 && named(p[2], p[3])) return { order: `${group}/0`, kind: 'key' };
    if (p.length === 5 && (p[3] === 'certification' || p[3] === 'revocation') && bySigner(p[4])) {
      return { order: `${group}/${p[3] === 'certification' ? 1 : 2}/${p[4]}`, kind: 'signature' };
    }
  }
  return null;
}

/** The packets of `files` in assembly order, as one binary keyring. */
export function assemble(files: readonly KeyringFile[]): Uint8Array {
  const ordered = files.map((f) => ({ f, key: place(f.path)?.order })).filter((x) => x.key !== undefined);
  ordered.sort((a, b) => (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0));
  return Buffer.concat(ordered.map((x) => x.f.packet));
}

/** RFC 9580 §5.2.3.31: a hard revocation outweighs a soft one; among equals the earliest counts. */
function strongest(revocations: readonly Revocation[]): Revocation | null {
  return (
    [...revocations].sort((a, b) => Number(b.hard) - Number(a.hard) || a.created.getTime() - b.created.getTime())[0] ??
    null
  );
}

function newest<R extends { created: Date }>(list: readonly R[]): R {
  return list.reduce((best, r) => (r.created > best.created ? r : best));
}

function by<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}
