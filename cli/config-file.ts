import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { MultusConfig, PlanError, parseConfig } from "../ipam";

/** Where the config comes from: an explicit path, then MULTUS_CONFIG, then ./multus.config.json, else the embedded defaults. */
export function configPath(explicit?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  if (env.MULTUS_CONFIG) return resolve(cwd, env.MULTUS_CONFIG);
  const local = resolve(cwd, "multus.config.json");
  return existsSync(local) ? local : undefined;
}

export interface LoadedConfig {
  readonly config: MultusConfig;
  /** Where it came from, for people: the file's path, or "embedded defaults". */
  readonly source: string;
  /** The file's path; undefined for the embedded defaults (the example). */
  readonly file?: string;
}

/** Reads and validates a config file (or the defaults when there is none). Errors name the file and field. */
export function loadConfig(explicit?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadedConfig {
  const path = configPath(explicit, env, cwd);
  if (!path) return { config: parseConfig({}), source: "embedded defaults" };
  const field = explicit ? "--config" : env.MULTUS_CONFIG ? "MULTUS_CONFIG" : "multus.config.json";
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new PlanError(field, `cannot read ${path}: ${(err as Error).message}`, "give the path of a readable JSON config file");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PlanError(field, `${path} is not valid JSON: ${(err as Error).message}`, "fix the JSON syntax");
  }
  return { config: parseConfig(json, path), source: path, file: path };
}
