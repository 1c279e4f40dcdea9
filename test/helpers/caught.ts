import { PkgkeysError } from '../../lib/errors';

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
