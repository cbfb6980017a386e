// The error a promise rejects with, for tests that look at more than ava's throwsAsync checks
// (a code, a flag, several rejections awaited together).

/** Resolves with what `promise` rejects with; rejects if it resolves. */
export async function rejection<E = Error & { code?: string }>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}
