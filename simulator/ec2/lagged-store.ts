/** When a view was written: the model step (SDK calls so far) and the simulated time. */
export interface Stamp {
  readonly step: number;
  readonly time: number;
}

/**
 * Past views of entities (ENIs, instances) for eventually consistent reads: after each write
 * the entity's view is pushed with its stamp; a read as of a cutoff sees, per entity, the
 * newest view written at or before the cutoff in both step and time (nothing if the entity did
 * not exist yet, or was deleted by then). History older than both lag horizons is pruned.
 */
export class LaggedStore<T> {
  private readonly history = new Map<string, { at: Stamp; view: T | undefined }[]>();

  clear(): void {
    this.history.clear();
  }

  /** Records `view` (undefined: deleted) of `id` at `at`, keeping what a read within `horizon` may need. */
  push(id: string, at: Stamp, view: T | undefined, horizon: Stamp): void {
    const h = this.history.get(id) ?? [];
    h.push({ at, view });
    let keepFrom = 0;
    for (let i = 0; i < h.length; i++) if (older(h[i]!.at, horizon)) keepFrom = i;
    if (keepFrom > 0) h.splice(0, keepFrom);
    this.history.set(id, h);
  }

  /**
   * Views as of `cutoff`, ordered by id. `current` lists the entities that exist now with
   * their present view: one without history was written before lag was switched on, so its
   * present view is old enough.
   */
  read(cutoff: Stamp, horizon: Stamp, current: Map<string, () => T>): T[] {
    const out: T[] = [];
    const ids = [...new Set([...this.history.keys(), ...current.keys()])].sort();
    for (const id of ids) {
      const h = this.history.get(id);
      if (!h) {
        out.push(current.get(id)!());
        continue;
      }
      let seen: T | undefined;
      for (const entry of h) if (older(entry.at, cutoff)) seen = entry.view;
      if (seen !== undefined) out.push(seen);
      // A deletion every read can see: forget the entity.
      if (h.length === 1 && h[0]!.view === undefined && older(h[0]!.at, horizon)) this.history.delete(id);
    }
    return out;
  }
}

/** Written at or before `cutoff` in both step and time. */
function older(at: Stamp, cutoff: Stamp): boolean {
  return at.step <= cutoff.step && at.time <= cutoff.time;
}
