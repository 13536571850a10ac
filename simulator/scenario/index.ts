export * from "./types";
export * from "./scheduler";
export * from "./runner";
export * from "./allocators";
export * from "./lambda-allocator";
export { checkInvariants, summarizeViolations } from "../invariants";
export type { PodIp, Violation, ViolationKind } from "../invariants";
