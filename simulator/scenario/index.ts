export * from "./types";
export * from "./scheduler";
export * from "./runner";
export * from "./pod-sources";
export * from "./baseline-allocator";
export * from "./plan-allocator";
export * from "./lambda-allocator";
export { checkInvariants, summarizeViolations } from "../invariants";
export type { PodIp, Violation, ViolationKind } from "../invariants";
