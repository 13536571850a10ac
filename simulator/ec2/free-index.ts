/**
 * The set of addresses DHCP may still hand out in one subnet, as a Fenwick (binary indexed)
 * tree over the subnet's offsets. Every operation is O(log n): on a /16 (65,536 offsets) a
 * DHCP pick costs ~16 steps, never a scan of the subnet. `kth` gives the lowest, the highest
 * and a uniformly random free address without rejection sampling.
 */
export class FreeIndex {
  private readonly tree: Int32Array;
  private readonly bits: Uint8Array;
  private readonly top: number;
  private count = 0;

  constructor(readonly size: number) {
    this.tree = new Int32Array(size + 1);
    this.bits = new Uint8Array(size);
    let top = 1;
    while (top * 2 <= size) top *= 2;
    this.top = top;
  }

  get total(): number {
    return this.count;
  }

  has(offset: number): boolean {
    return this.bits[offset] === 1;
  }

  /** Marks `offset` free (true) or taken (false); a no-op when already so. */
  set(offset: number, free: boolean): void {
    if (offset < 0 || offset >= this.size) throw new RangeError(`offset ${offset} outside 0..${this.size - 1}`);
    const want = free ? 1 : 0;
    if (this.bits[offset] === want) return;
    this.bits[offset] = want;
    const delta = free ? 1 : -1;
    this.count += delta;
    for (let i = offset + 1; i <= this.size; i += i & -i) this.tree[i]! += delta;
  }

  /** Free offsets below `offset`. */
  rank(offset: number): number {
    let sum = 0;
    for (let i = Math.min(offset, this.size); i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  /** The k-th free offset (0-based, ascending), or undefined when k >= total. */
  kth(k: number): number | undefined {
    if (k < 0 || k >= this.count) return undefined;
    let pos = 0;
    let rest = k + 1;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.size && this.tree[next]! < rest) {
        pos = next;
        rest -= this.tree[next]!;
      }
    }
    return pos; // tree index pos+1 holds it, i.e. offset pos
  }

  lowest(): number | undefined {
    return this.kth(0);
  }

  highest(): number | undefined {
    return this.kth(this.count - 1);
  }

  /** The lowest free offset at or after `offset`. */
  nextFrom(offset: number): number | undefined {
    return this.kth(this.rank(offset));
  }
}
