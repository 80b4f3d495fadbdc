interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

/**
 * Answers single-key calls with batched `load`s (a value per key, in order),
 * so that concurrent requests share a database read instead of taking one each.
 *
 * One load runs at a time. Calls gather until the end of the event-loop turn
 * and, while a load is running, until it has finished; then the next load
 * takes them all (up to `maxBatch`). The busier the server, the larger the
 * batches, with no timer to tune. A call never joins a load that has already
 * started, so every answer is read after its call was made: "revoked means
 * refused on the next request" and "a write is seen by the next read" hold.
 */
export function batchLoader<K, V>(load: (keys: K[]) => Promise<V[]>, maxBatch = 256): (key: K) => Promise<V> {
  const keys: K[] = [];
  const waiters: Waiter<V>[] = [];
  let scheduled = false;
  let loading = false;

  const schedule = () => {
    if (scheduled || loading || keys.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  };

  function flush(): void {
    scheduled = false;
    const batch = keys.splice(0, maxBatch);
    const answer = waiters.splice(0, maxBatch);
    loading = true;
    Promise.resolve()
      .then(() => load(batch))
      .then((values) => {
        if (values.length !== batch.length) throw new Error(`batch load answered ${values.length} values for ${batch.length} keys`);
        answer.forEach((w, i) => w.resolve(values[i]!));
      })
      .catch((err: unknown) => answer.forEach((w) => w.reject(err)))
      .finally(() => {
        loading = false;
        schedule();
      });
  }

  return (key) =>
    new Promise<V>((resolve, reject) => {
      keys.push(key);
      waiters.push({ resolve, reject });
      schedule();
    });
}
