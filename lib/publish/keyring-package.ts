/**
 * The keyring as a pkgsrc binary package, `pkgsrc-keyring-<serial>.tgz`, installed with pkg_add like
 * any other package (lib/pkgsrc/package.ts writes the format). It carries a published release
 * (release.asc and keyring.gpg) under ${PREFIX}/share/pkgsrc-keyring/; its +INSTALL script hands them
 * to `pkgkeys update` at POST-INSTALL, which verifies them like a download: the chain to the anchor,
 * the statement, and a serial that never goes back, merging revocations into what is installed. With
 * no pkgkeys, or a release pkgkeys refuses, it says so and succeeds: a failing +INSTALL would abort the
 * pkg_add, and the keyring in use is untouched either way. pkgsrc/security/pkgsrc-keyring/ is the same
 * package as a pkgsrc package directory.
 */
import * as path from 'node:path';
import { PkgkeysError } from '../errors';
import { readBounded } from '../fsutil';
import { KEYRING_FILE, RELEASE_FILE, checkKeyringFile } from '../keyring/release';
import { MAX_KEYRING_BYTES, MAX_RELEASE_BYTES } from '../limits';
import { readClaim } from '../verify/release';
import { type PackageSpec, buildPackage } from '../pkgsrc/package';

export const PACKAGE_BASE = 'pkgsrc-keyring';
export const SHARE_DIR = `share/${PACKAGE_BASE}`;

/** The POST-INSTALL step, as pkgsrc/security/pkgsrc-keyring/INSTALL has it for the pkgsrc tree. */
export const INSTALL_FRAGMENT = `case \${STAGE} in
POST-INSTALL)
	release="\${PKG_PREFIX}/${SHARE_DIR}"
	pkgkeys="\${PKG_PREFIX}/bin/pkgkeys"
	if [ -x "\${pkgkeys}" ]; then
		"\${pkgkeys}" update --url "file://\${release}/" --allow-expired --quiet ||
			echo "\${PKGNAME}: pkgkeys kept the keyring it had (see above); run pkgkeys update"
	else
		echo "\${PKGNAME}: pkgkeys is not installed; the keyring is in \${release}"
	fi
	;;
esac
`;

const INSTALL_SCRIPT = `#!/bin/sh
# +INSTALL of ${PACKAGE_BASE}: pkg_add runs it as "+INSTALL PKGNAME PRE-INSTALL|POST-INSTALL" with
# PKG_PREFIX set. It must not fail: a failing +INSTALL aborts pkg_add.
PKGNAME="$1"
STAGE="$2"
${INSTALL_FRAGMENT}exit 0
`;

export const COMMENT = 'OpenPGP keyring for verifying signed pkgsrc packages';
export const DESCRIPTION = `The keys that sign pkgsrc binary packages and repository indexes, as certified by the
pkgsrc master key, with a signed release statement. When pkgkeys is installed, the keyring
is handed to it on installation; pkgkeys checks every key against the master key shipped
with the base system and never goes back to an older keyring. Keep it current with
"pkgkeys update" from cron.
`;

export interface KeyringPackageRequest {
  /** A directory holding a published release: release.asc and keyring.gpg (`pkgkeys keyring publish --out`). */
  release: string;
  prefix: string;
  opsys: string;
  osVersion: string;
  machineArch: string;
  /** The oldest pkg_install that reads the format: pkg_add refuses a package claiming a newer one. */
  pkgtoolsVersion: string;
}

export async function keyringPackage(
  request: KeyringPackageRequest,
): Promise<{ pkgname: string; data: Buffer; serial: number }> {
  const statementFile = path.join(request.release, RELEASE_FILE);
  const statement = await readBounded(statementFile, MAX_RELEASE_BYTES);
  const keyring = await readBounded(path.join(request.release, KEYRING_FILE), MAX_KEYRING_BYTES);
  // The publisher's own output: it was verified when published, and clients verify it again.
  const { release, signed } = await readClaim(statement, statementFile);
  checkKeyringFile(release, keyring, path.join(request.release, KEYRING_FILE));
  if (release.name !== 'pkgsrc')
    throw new PkgkeysError(
      'USAGE',
      `${statementFile} is a release of keyring ${release.name}; ${PACKAGE_BASE} carries the pkgsrc keyring`,
    );
  const pkgname = `${PACKAGE_BASE}-${release.serial}`;
  const spec: PackageSpec = {
    pkgname,
    comment: COMMENT,
    description: DESCRIPTION,
    prefix: request.prefix,
    buildInfo: {
      CATEGORIES: 'security',
      MACHINE_ARCH: request.machineArch,
      OPSYS: request.opsys,
      OS_VERSION: request.osVersion,
      PKGPATH: `security/${PACKAGE_BASE}`,
      PKGTOOLS_VERSION: request.pkgtoolsVersion,
      LICENSE: 'public-domain',
    },
    install: INSTALL_SCRIPT,
    // In PLIST order (pkgsrc/security/pkgsrc-keyring/PLIST).
    files: [
      { path: `${SHARE_DIR}/${KEYRING_FILE}`, data: keyring },
      { path: `${SHARE_DIR}/${RELEASE_FILE}`, data: statement },
    ],
    // The release's own time: the same release makes the same package, byte for byte.
    mtime: signed,
  };
  return { pkgname, data: buildPackage(spec), serial: release.serial };
}
