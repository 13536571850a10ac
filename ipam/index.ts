export * from "../contract/address";
export * from "./capacity";
export * from "./cidr";
export * from "./config";
export * from "../contract/errors";
export * from "./layout";
export * from "./plan";
