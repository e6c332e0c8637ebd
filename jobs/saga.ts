// The saga of a workflow: each step that has taken effect leaves its undo here, and a final failure of a
// later step runs them newest first (Temporal's saga sample keeps the same list). Undos are idempotent
// domain functions, so an attempt that dies half-way through compensating is finished by the next one.
export type Undo = { step: string; undo: () => Promise<unknown> };

export class Saga {
  private readonly undos: Undo[] = [];

  constructor(private readonly log: (message: string, detail: Record<string, unknown>) => void) {}

  /** `step` took effect; `undo` reverses it. */
  done(step: string, undo: () => Promise<unknown>): void {
    this.undos.push({ step, undo });
  }

  /** Undoes every step done, newest first. A throwing undo stops here: the run is retried, and every undo runs again. */
  async compensate(reason: string): Promise<void> {
    for (const { step, undo } of [...this.undos].reverse()) {
      this.log(`compensating: ${step}`, { reason });
      await undo();
    }
    this.undos.length = 0;
  }
}
