import { type Code, PkgkeysError } from '../../lib/errors';

/** The PkgkeysError a call throws (or rejects with), failing the test when there is none. */
export async function caught(run: () => unknown): Promise<PkgkeysError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(PkgkeysError);
    return error as PkgkeysError;
  }
  throw new Error('expected an error, got none');
}

/**
 * Asserts that a call, or a promise, fails with this stable code (a failure shows the code and message
 * it had instead); returns the error for further checks of its message.
 */
export async function expectCode(run: (() => unknown) | Promise<unknown>, code: Code): Promise<PkgkeysError> {
  const error = await caught(typeof run === 'function' ? run : () => run);
  expect(`${error.code}: ${error.message}`).toMatch(new RegExp(`^${code}: `));
  return error;
}
