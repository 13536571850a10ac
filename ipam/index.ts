export * from "./address";
export * from "./capacity";
export * from "./cidr";
export * from "./config";
export * from "./errors";
export * from "./layout";
export * from "./plan";
