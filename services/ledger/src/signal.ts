/**
 * A wake-up call between two loops: `wait()` settles on the next `notify()` or after
 * `timeoutMs`. Callers re-check their condition after every wake-up, so a spurious or early
 * wake-up is harmless.
 */
export class Signal {
  private waiters: Array<() => void> = [];

  wait(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.waiters.push(wake);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== wake);
          resolve();
        }, timeoutMs);
      }
    });
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
