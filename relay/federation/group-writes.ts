/**
 * Group commit for writes that arrive one request at a time: calls made within `delayMs` of the
 * first of a group are written together by one `write` (one transaction, so one durable commit
 * instead of one each), and every caller gets its own answer once that write is done. A failed
 * write fails every call of its group.
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
    write(calls.map((c) => c.item)).then(
      (answers) => calls.forEach((c, i) => c.resolve(answers[i]!)),
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
