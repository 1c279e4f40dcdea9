import { initCommandGroup } from './init';

export const masterCommand = initCommandGroup({
  role: 'master',
  group: 'master',
  describeGroup: 'Manage the master key (on the offline machine)',
  describeInit: 'Create the pkgsrc master key, its passphrase-protected secret key and a revocation certificate',
  uidExample: 'pkgsrc master key <pkgsrc-master@NetBSD.org>',
  algorithms: ['ed25519', 'rsa3072', 'rsa4096'],
  algorithmNote: 'key algorithm (v4 keys)',
  passphraseOptional: false,
  warning: () => null,
  describe: (k) => [
    `master key ${k.fingerprint}`,
    `  secret key:  ${k.secret} (keep offline)`,
    `  public key:  ${k.public} (the trust anchor)`,
    `  revocation:  ${k.revocation} (keep offline, apart from the secret key)`,
  ],
});
