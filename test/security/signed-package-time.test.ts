/**
 * Attack: a signed package whose signature's time does not hold now. One dated in the future (the
 * signer's clock, or a forger counting on a client whose clock is behind, DESIGN.md §4 "Time") is
 * CLOCK_BEHIND, as for an index (it was BAD_SIGNATURE); one whose signature has expired (sign-package
 * sets no expiry, but a signature that carries one must hold, RFC 9580 §5.2.3.18) is SIGNATURE_EXPIRED.
 * Both are judged by the steps every signed document goes through (lib/verify/signed.ts).
 */
import { buildPackage } from '../../lib/pkgsrc/package';
import { CHECKED_AT, PackageSigners, incompressible, packageSpec } from '../helpers/packages';

let signers: PackageSigners;
let input: string;
beforeAll(async () => {
  signers = await PackageSigners.create();
  input = await signers.write('foo-1.0.tgz', buildPackage(packageSpec('foo-1.0', incompressible(2000))));
}, 60_000);
afterAll(() => signers.cleanup());

const hours = (n: number, from = CHECKED_AT) => new Date(from.getTime() + n * 3600_000);
const verdict = async (file: string, at = CHECKED_AT) => {
  const result = await signers.verify([file], [], at);
  return { status: result.status, code: /: ([A-Z_]+): /.exec(result.stdout)?.[1] ?? null, stderr: result.stderr };
};

test('signed an hour after now: CLOCK_BEHIND; once that hour has come, good', async () => {
  const file = await signers.signByHand(input, signers.path('future.tgz'), { created: hours(1) });
  expect(await verdict(file)).toEqual({ status: 1, code: 'CLOCK_BEHIND', stderr: '' });
  expect(await verdict(file, hours(2))).toEqual({ status: 0, code: null, stderr: '' });
});

test('a signature that expired an hour ago: SIGNATURE_EXPIRED; before its expiry, good', async () => {
  const file = await signers.signByHand(input, signers.path('expired.tgz'), { created: hours(-3), expires: hours(-1) });
  expect(await verdict(file)).toEqual({ status: 1, code: 'SIGNATURE_EXPIRED', stderr: '' });
  expect(await verdict(file, hours(-2))).toEqual({ status: 0, code: null, stderr: '' });
});

test('a signature without expiry, as sign-package makes it, is good', async () => {
  expect(await verdict(await signers.signByHand(input, signers.path('plain.tgz')))).toEqual({
    status: 0,
    code: null,
    stderr: '',
  });
});
