import { initCommandGroup } from './init';

export const keyCommand = initCommandGroup({
  role: 'signing',
  group: 'key',
  describeGroup: 'Manage repository signing keys (on a build host)',
  describeInit: "Create a build host's repository signing key",
  uidExample: 'pkgsrc build host b1.example.org <pkgsrc-b1@example.org>',
  algorithms: ['rsa3072', 'rsa4096', 'ed25519'],
  algorithmNote: "key algorithm; RSA because pkg_add's verifier reads only RSA and DSA",
  passphraseOptional: true,
  warning: (algo) =>
    algo === 'ed25519'
      ? "pkg_add's built-in verifier cannot check packages signed with an Ed25519 key; use it for pkg_summary only"
      : null,
  describe: (k) => [
    `signing key ${k.fingerprint}`,
    `  secret key:  ${k.secret}`,
    `  public key:  ${k.public} (send this to the master key holder to be certified)`,
    `  revocation:  ${k.revocation}`,
  ],
});
