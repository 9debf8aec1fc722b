// Noticing that the process which started us is gone.
//
// `npm start` runs `sh -c "node scripts/run.mjs start"`. Stopped with SIGTERM (a process
// manager, `docker stop`, `kill <npm pid>`), npm passes the signal to that shell, which dies
// without passing it on: run.mjs and the stack it started would run on with nobody to stop
// them. An orphan is re-parented (to init or a subreaper), so a changed parent pid is the sign.

/**
 * Calls `onLost` once, when this process's parent is no longer the one it started with.
 *
 * @example
 * watchParent(() => child.kill("SIGTERM"));
 */
export function watchParent(onLost, intervalMs = 500) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onLost();
  }, intervalMs);
  // Never the reason this process stays alive.
  timer.unref();
  return () => clearInterval(timer);
}
