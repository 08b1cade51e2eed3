/**
 * The requests being served, each with the controller that cancels it. Graceful shutdown waits for
 * them up to a deadline, then cancels the rest and waits for them to unwind.
 */
export class InFlight {
  private readonly controllers = new Set<AbortController>();
  private readonly idle: Array<() => void> = [];

  get size(): number {
    return this.controllers.size;
  }

  /** A controller for a new request; call `done` when the request has ended, however it ended. */
  start(): { signal: AbortSignal; abort: (reason?: string) => void; done: () => void } {
    const controller = new AbortController();
    this.controllers.add(controller);
    return {
      signal: controller.signal,
      abort: (reason) => controller.abort(reason),
      done: () => {
        this.controllers.delete(controller);
        if (this.controllers.size === 0) this.idle.splice(0).forEach((resolve) => resolve());
      },
    };
  }

  private whenIdle(): Promise<void> {
    return this.controllers.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  /** Waits up to `deadlineMs` for every request to end, then cancels the others. Returns how many were cancelled. */
  async drain(deadlineMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => (timer = setTimeout(() => resolve("deadline"), deadlineMs)));
    const outcome = await Promise.race([this.whenIdle().then(() => "idle" as const), deadline]);
    clearTimeout(timer);
    if (outcome === "idle") return 0;
    const cancelled = this.controllers.size;
    for (const controller of this.controllers) controller.abort("server shutting down");
    await this.whenIdle();
    return cancelled;
  }
}
