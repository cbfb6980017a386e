// Timers that cost nothing until the event loop turns, for a lock's refresh timer.
//
// A process's first setTimeout makes Node compile its timer machinery (timers, priority queue,
// async ids), which costs a CGI request more than a setImmediate does (BENCHMARKS.md, start-up
// notes). A lock's refresh timer is usually set and cleared without the event loop ever turning,
// and until it turns no timer could fire anyway (a timer runs only from the loop). So a timer set
// here waits behind a setImmediate and is made real, for the time that remains, only when the
// loop turns.

/** The timer handle given out while deferred: the parts of Node's Timeout proper-lockfile uses. */
export class LazyTimeout {
  #real: NodeJS.Timeout | undefined;
  #waiting: NodeJS.Immediate | undefined;
  #refed = true;

  constructor(callback: () => void, ms: number, realSetTimeout: typeof setTimeout) {
    const since = Date.now();
    this.#waiting = setImmediate(() => {
      this.#waiting = undefined;
      this.#real = realSetTimeout(callback, Math.max(0, ms - (Date.now() - since)));
      if (!this.#refed) this.#real.unref();
    });
  }

  unref(): this {
    this.#refed = false;
    this.#waiting?.unref();
    this.#real?.unref();
    return this;
  }

  ref(): this {
    this.#refed = true;
    this.#waiting?.ref();
    this.#real?.ref();
    return this;
  }

  hasRef(): boolean {
    return this.#refed;
  }

  /** Whether a real Node timer exists yet (for tests). */
  get isReal(): boolean {
    return this.#real !== undefined;
  }

  /** Cancels the timer, waiting or real; again is harmless. */
  clear(realClearTimeout: typeof clearTimeout): void {
    if (this.#waiting !== undefined) clearImmediate(this.#waiting);
    this.#waiting = undefined;
    if (this.#real !== undefined) realClearTimeout(this.#real);
  }
}

/**
 * Runs the synchronous `call` with the global setTimeout and clearTimeout replaced by lazy ones:
 * a timer set during `call` becomes a real one only when the event loop next turns (so one set
 * and cleared before then never costs Node's timer set-up), and clearTimeout during `call`
 * clears lazy and real timers alike. The globals are restored before this returns. Only for
 * synchronous code: nothing else can run meanwhile, so nothing else sees the swap.
 */
export function withLazyTimers<T>(call: () => T): T {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  // The replacements take only what proper-lockfile passes (a callback and a delay); the casts
  // are needed because Node's typings of the globals carry overloads and __promisify__.
  globalThis.setTimeout = ((callback: () => void, ms: number) => new LazyTimeout(callback, ms, realSetTimeout)) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((timer: unknown) => {
    if (timer instanceof LazyTimeout) timer.clear(realClearTimeout);
    else realClearTimeout(timer as NodeJS.Timeout);
  }) as typeof clearTimeout;
  try {
    return call();
  } finally {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
  }
}
