/**
 * The k smallest scores, ascending, ties to the smaller index, NaN as +infinity: the same unique
 * answer as the native `topk` (a max-heap of the best k, a threshold test per score).
 */
export function topk(scores: Float32Array, k: number, idx: Uint32Array, dist: Float32Array): void {
  const n = scores.length;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`k must be between 1 and the number of scores (${n}), got ${k}`);
  if (idx.length !== k || dist.length !== k) throw new RangeError(`outputs hold ${idx.length} and ${dist.length} entries, k is ${k}`);
  const keys = new Float64Array(k);
  const ids = new Uint32Array(k);
  const key = (s: number) => (Number.isNaN(s) ? Infinity : s);
  const worse = (a: number, b: number) => keys[a] > keys[b] || (keys[a] === keys[b] && ids[a] > ids[b]);
  const siftDown = (at: number) => {
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let top = at;
      if (l < k && worse(l, top)) top = l;
      if (r < k && worse(r, top)) top = r;
      if (top === at) return;
      const kt = keys[at];
      keys[at] = keys[top];
      keys[top] = kt;
      const it = ids[at];
      ids[at] = ids[top];
      ids[top] = it;
      at = top;
    }
  };
  for (let i = 0; i < k; i++) {
    keys[i] = key(scores[i]);
    ids[i] = i;
  }
  for (let at = (k >> 1) - 1; at >= 0; at--) siftDown(at);
  let threshold = keys[0];
  for (let i = k; i < n; i++) {
    const s = scores[i];
    if (s < threshold) {
      keys[0] = s;
      ids[0] = i;
      siftDown(0);
      threshold = keys[0];
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || ids[a] - ids[b]);
  order.forEach((slot, rank) => {
    idx[rank] = ids[slot];
    dist[rank] = scores[ids[slot]];
  });
}
