export * from "./common";
export * from "./user-data";
export * from "./node-group";
export * from "./lifecycle-lambda";
export * from "./reservations";
export * from "./stack";
export * from "./ami";
