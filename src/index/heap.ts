/**
 * A binary heap of (distance, id) pairs in typed arrays, ordered by distance, then id (as the Rust
 * index orders them). `max` puts the farthest on top; otherwise the nearest.
 */
export class PairHeap {
  private d = new Float64Array(64);
  private id = new Uint32Array(64);
  size = 0;

  constructor(private readonly max: boolean) {}

  /** Whether slot a belongs above slot b. */
  private above(a: number, b: number): boolean {
    const da = this.d[a];
    const db = this.d[b];
    const after = da > db || (da === db && this.id[a] > this.id[b]);
    return this.max ? after : !after && (da !== db || this.id[a] !== this.id[b]);
  }

  private swap(a: number, b: number): void {
    const d = this.d[a];
    this.d[a] = this.d[b];
    this.d[b] = d;
    const i = this.id[a];
    this.id[a] = this.id[b];
    this.id[b] = i;
  }

  clear(): void {
    this.size = 0;
  }

  push(d: number, id: number): void {
    if (this.size === this.d.length) {
      const dd = new Float64Array(this.size * 2);
      dd.set(this.d);
      this.d = dd;
      const ii = new Uint32Array(this.size * 2);
      ii.set(this.id);
      this.id = ii;
    }
    let at = this.size++;
    this.d[at] = d;
    this.id[at] = id;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.above(at, parent)) break;
      this.swap(at, parent);
      at = parent;
    }
  }

  topDistance(): number {
    return this.d[0];
  }

  topId(): number {
    return this.id[0];
  }

  pop(): void {
    this.size--;
    if (this.size === 0) return;
    this.d[0] = this.d[this.size];
    this.id[0] = this.id[this.size];
    let at = 0;
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let top = at;
      if (l < this.size && this.above(l, top)) top = l;
      if (r < this.size && this.above(r, top)) top = r;
      if (top === at) return;
      this.swap(at, top);
      at = top;
    }
  }

  /** The entries, nearest first (leaves the heap empty). */
  drainSorted(): { d: number; id: number }[] {
    const out: { d: number; id: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ d: this.d[i], id: this.id[i] });
    this.size = 0;
    return out.sort((a, b) => a.d - b.d || a.id - b.id);
  }
}
