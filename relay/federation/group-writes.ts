/**
 * Group commit for writes that arrive one request at a time: calls made within `delayMs` of the
 * first of a group are written together by one `write` (one transaction, so one durable commit
 * instead of one each), and every caller gets its own answer once that write is done. A failed
 * write (rejected or thrown), or one that does not answer each item, fails every call of its group.
 */
export interface GroupWritesOptions {
  /** How long the first call of a group waits for others, ms. Default 2; 0: the end of the current event-loop turn. */
  delayMs?: number;
  /** Largest group; a full group is written at once. Default 256. */
  max?: number;
}

/**
 * Returns a function that queues one item and resolves with its answer from `write`, which gets
 * the items of a group in call order and must answer in the same order.
 *
 * @example
 * const addEvent = groupWrites((entries) => store.addEvents(entries));
 * const stored = await addEvent({ messageId, sender, returnTo, event });
 */
export function groupWrites<T, R>(write: (items: T[]) => Promise<R[]>, options: GroupWritesOptions = {}): (item: T) => Promise<R> {
  const delayMs = options.delayMs ?? 2;
  const max = options.max ?? 256;
  let group: { item: T; resolve: (answer: R) => void; reject: (error: unknown) => void }[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let immediate: ReturnType<typeof setImmediate> | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
    const calls = group;
    group = [];
    // A `write` that throws instead of rejecting fails its group too: thrown from a timer it would
    // crash the process and leave every caller waiting.
    new Promise<R[]>((resolve) => resolve(write(calls.map((c) => c.item)))).then(
      (answers) => {
        // Answers matched by position: a short or long list would hand callers each other's answers.
        if (!Array.isArray(answers) || answers.length !== calls.length) {
          const error = new TypeError(`groupWrites: write answered ${Array.isArray(answers) ? answers.length : typeof answers} for ${calls.length} item(s)`);
          for (const c of calls) c.reject(error);
          return;
        }
        calls.forEach((c, i) => c.resolve(answers[i]!));
      },
      (error: unknown) => calls.forEach((c) => c.reject(error)),
    );
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      group.push({ item, resolve, reject });
      if (group.length >= max) flush();
      else if (timer === undefined && immediate === undefined) {
        if (delayMs > 0) timer = setTimeout(flush, delayMs);
        else immediate = setImmediate(flush);
      }
    });
}
