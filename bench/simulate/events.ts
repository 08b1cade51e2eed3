/**
 * The simulator's event queue: a binary min-heap on (time, insertion order) kept in typed arrays,
 * so pushing and popping allocate nothing once the arrays have grown. Events at the same time come
 * out in the order they were pushed, which makes a run reproducible. An event is a kind and two
 * integer arguments; the caller reads them from `kind`, `a` and `b` after `pop()`.
 */
export class EventQueue {
  private times = new Float64Array(1024);
  private orders = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  private as = new Int32Array(1024);
  private bs = new Int32Array(1024);
  private count = 0;
  private pushed = 0;
  /** The popped event. */
  time = 0;
  kind = 0;
  a = 0;
  b = 0;

  get size(): number {
    return this.count;
  }

  push(time: number, kind: number, a = 0, b = 0): void {
    if (this.count === this.times.length) this.grow();
    let i = this.count++;
    const order = this.pushed++;
    // Sift up: move parents down until the new event's place is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(time, order, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, time, order, kind, a, b);
  }

  /** Removes the earliest event into `time`, `kind`, `a`, `b`; false when empty. */
  pop(): boolean {
    if (this.count === 0) return false;
    this.time = this.times[0]!;
    this.kind = this.kinds[0]!;
    this.a = this.as[0]!;
    this.b = this.bs[0]!;
    const last = --this.count;
    if (last === 0) return true;
    const time = this.times[last]!;
    const order = this.orders[last]!;
    const kind = this.kinds[last]!;
    const a = this.as[last]!;
    const b = this.bs[last]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.precedes(right, left) ? right : left;
      if (!this.before(this.times[child]!, this.orders[child]!, -1, time, order)) break;
      this.move(child, i);
      i = child;
    }
    this.set(i, time, order, kind, a, b);
    return true;
  }

  /** Is (time, order) earlier than slot `j` (or than (t2, o2) when j < 0)? */
  private before(time: number, order: number, j: number, t2 = 0, o2 = 0): boolean {
    const t = j >= 0 ? this.times[j]! : t2;
    const o = j >= 0 ? this.orders[j]! : o2;
    return time < t || (time === t && order < o);
  }

  private precedes(i: number, j: number): boolean {
    return this.before(this.times[i]!, this.orders[i]!, j);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    this.orders[to] = this.orders[from]!;
    this.kinds[to] = this.kinds[from]!;
    this.as[to] = this.as[from]!;
    this.bs[to] = this.bs[from]!;
  }

  private set(i: number, time: number, order: number, kind: number, a: number, b: number): void {
    this.times[i] = time;
    this.orders[i] = order;
    this.kinds[i] = kind;
    this.as[i] = a;
    this.bs[i] = b;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const copy = <T extends Float64Array | Uint8Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(old);
      return next;
    };
    this.times = copy(this.times, (k) => new Float64Array(k));
    this.orders = copy(this.orders, (k) => new Float64Array(k));
    this.kinds = copy(this.kinds, (k) => new Uint8Array(k));
    this.as = copy(this.as, (k) => new Int32Array(k));
    this.bs = copy(this.bs, (k) => new Int32Array(k));
  }
}

/** A first-in-first-out queue of integers (job ids) in a growable ring buffer. */
export class IntQueue {
  private buffer = new Int32Array(16);
  private head = 0;
  size = 0;

  push(value: number): void {
    if (this.size === this.buffer.length) {
      const next = new Int32Array(this.buffer.length * 2);
      for (let i = 0; i < this.size; i++) next[i] = this.buffer[(this.head + i) % this.buffer.length]!;
      this.buffer = next;
      this.head = 0;
    }
    this.buffer[(this.head + this.size) % this.buffer.length] = value;
    this.size++;
  }

  /** The oldest value; -1 when empty. */
  peek(): number {
    return this.size === 0 ? -1 : this.buffer[this.head]!;
  }

  shift(): number {
    if (this.size === 0) return -1;
    const value = this.buffer[this.head]!;
    this.head = (this.head + 1) % this.buffer.length;
    this.size--;
    return value;
  }
}
