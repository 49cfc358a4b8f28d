/**
 * The HNSW graph as saved in a `.vidx` file (docs/format.md): every link list in node order (the
 * bottom layer of every node, then layers 1..level of every node that has them), each as a LEB128
 * count followed by its ids, which are in increasing order: the first as it is, each next one as
 * its gap to the previous minus one. At 100,000 nodes this takes about a sixth of the fixed-size
 * u32 slots the index uses in memory.
 */

/** Where the lists live in memory: fixed slots of `1 + cap` u32 (count, then ids). */
export interface GraphSlots {
  m: number;
  levels: Uint8Array;
  links0: Uint32Array;
  upper: Uint32Array;
}

/** Every list's array, offset, capacity, node and layer, in file order. */
function* slots(g: GraphSlots): Generator<[Uint32Array, number, number, number, number]> {
  const n = g.levels.length;
  const slot0 = 1 + 2 * g.m;
  for (let node = 0; node < n; node++) yield [g.links0, node * slot0, 2 * g.m, node, 0];
  let at = 0;
  for (let node = 0; node < n; node++) {
    for (let layer = 1; layer <= g.levels[node]; layer++) {
      yield [g.upper, at, g.m, node, layer];
      at += 1 + g.m;
    }
  }
}

export function encodeGraph(g: GraphSlots): Uint8Array {
  let out = new Uint8Array(1 << 16);
  let len = 0;
  const put = (v: number) => {
    if (len + 5 > out.length) {
      const bigger = new Uint8Array(out.length * 2);
      bigger.set(out.subarray(0, len));
      out = bigger;
    }
    while (v >= 0x80) {
      out[len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[len++] = v;
  };
  for (const [arr, at] of slots(g)) {
    const count = arr[at];
    put(count);
    for (let i = 0; i < count; i++) {
      const id = arr[at + 1 + i];
      if (i > 0 && id <= arr[at + i]) throw new Error('internal: link lists must be in increasing order to be saved');
      put(i === 0 ? id : id - arr[at + i] - 1);
    }
  }
  return out.slice(0, len);
}

/**
 * Decodes `bytes` into the slots of `g` (zero-filled, sized for its levels). Throws a message
 * naming the node and layer when the bytes do not describe a graph of `g.levels.length` nodes.
 */
export function decodeGraph(bytes: Uint8Array, g: GraphSlots): void {
  const n = g.levels.length;
  let pos = 0;
  const get = (): number => {
    let v = 0;
    for (let shift = 0, unit = 1; shift < 35; shift += 7, unit *= 128) {
      if (pos >= bytes.length) throw new RangeError('the graph ends in the middle of a link list');
      const b = bytes[pos++];
      v += (b & 0x7f) * unit;
      if (b < 0x80) {
        if (v > 0xffffffff) break;
        return v;
      }
    }
    throw new RangeError(`a number in the graph at byte ${pos} does not fit 32 bits`);
  };
  for (const [arr, at, cap, node, layer] of slots(g)) {
    const count = get();
    if (count > cap) throw new RangeError(`node ${node} has ${count} links on layer ${layer}, at most ${cap}`);
    arr[at] = count;
    let id = -1;
    for (let i = 0; i < count; i++) {
      id += get() + 1;
      if (id >= n || (layer > 0 && g.levels[id] < layer)) throw new RangeError(`node ${node} links to ${id} on layer ${layer}, which is not a node there`);
      arr[at + 1 + i] = id;
    }
  }
  if (pos !== bytes.length) throw new RangeError(`${bytes.length - pos} bytes left over after the graph`);
}
