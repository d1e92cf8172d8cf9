/**
 * A worker thread's writes to stdout and stderr (a model file's
 * `console.log`) wait in the thread until its parent has taken the one
 * before: a thread that runs a search does not give its parent a turn, so
 * all but the first wait until the search ends, and a thread ended before
 * its parent took them loses them. Resolves once everything written so far
 * has been taken; called before a thread reports the end of its work.
 */
export function flushStdio(): Promise<void> {
  const one = (s: NodeJS.WriteStream): Promise<void> =>
    new Promise((resolve) => {
      // An empty write's callback comes after those of every write before it.
      if (!s.writable || s.destroyed) resolve();
      else s.write('', () => resolve());
    });
  return Promise.all([one(process.stdout), one(process.stderr)]).then(() => undefined);
}
