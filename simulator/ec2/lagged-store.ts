/**
 * Past views of entities (ENIs, instances) for eventually consistent reads: after each write
 * the entity's view is pushed with the model step; a read as of step `at` sees, per entity,
 * the newest view pushed at or before `at` (nothing if the entity did not exist yet, or was
 * deleted by then). History older than the lag horizon is pruned.
 */
export class LaggedStore<T> {
  private readonly history = new Map<string, { step: number; view: T | undefined }[]>();

  clear(): void {
    this.history.clear();
  }

  /** Records `view` (undefined: deleted) of `id` at `step`, keeping what a read within `lag` may need. */
  push(id: string, step: number, view: T | undefined, lag: number): void {
    const h = this.history.get(id) ?? [];
    h.push({ step, view });
    const horizon = step - lag;
    let keepFrom = 0;
    for (let i = 0; i < h.length; i++) if (h[i]!.step <= horizon) keepFrom = i;
    if (keepFrom > 0) h.splice(0, keepFrom);
    this.history.set(id, h);
  }

  /**
   * Views as of step `at`, ordered by id. `current` lists the entities that exist now with
   * their present view: one without history was written before lag was switched on, so its
   * present view is old enough.
   */
  read(at: number, horizon: number, current: Map<string, () => T>): T[] {
    const out: T[] = [];
    const ids = [...new Set([...this.history.keys(), ...current.keys()])].sort();
    for (const id of ids) {
      const h = this.history.get(id);
      if (!h) {
        out.push(current.get(id)!());
        continue;
      }
      let seen: T | undefined;
      for (const entry of h) if (entry.step <= at) seen = entry.view;
      if (seen !== undefined) out.push(seen);
      // A deletion every read can see: forget the entity.
      if (h.length === 1 && h[0]!.view === undefined && h[0]!.step <= horizon) this.history.delete(id);
    }
    return out;
  }
}
