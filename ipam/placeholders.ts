import { PlanError } from "../contract/errors";
import { isObject } from "../contract/json";

/**
 * The embedded example's ids are placeholders: they keep `npm start` and the tests runnable
 * without an AWS account, and must never reach a deployment. Ids carry the mark `0c0ffee`
 * (hex, so they pass the id patterns); the endpoint and certificate have fixed values.
 */
export const PLACEHOLDER_ID_MARK = "0c0ffee0c0ffee";
/** The account AWS's documentation uses in example ARNs: an ARN of it is a placeholder too. */
export const PLACEHOLDER_ACCOUNT = "111122223333";
export const PLACEHOLDER_ENDPOINT = "https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com";
/** base64 of "-----BEGIN CERTIFICATE-----\n": a certificate's first line and nothing more. */
export const PLACEHOLDER_CERTIFICATE = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==";

export function isPlaceholder(value: unknown): boolean {
  return typeof value === "string" && (value.includes(PLACEHOLDER_ID_MARK) || value.includes(`:${PLACEHOLDER_ACCOUNT}:`) || value === PLACEHOLDER_ENDPOINT || value === PLACEHOLDER_CERTIFICATE);
}

/** Every field of `config` (any shape) still at a placeholder, as config paths: `vpc.id`, `multus.subnets[0].id`. */
export function placeholderFields(config: unknown, path = ""): string[] {
  if (Array.isArray(config)) return config.flatMap((v, i) => placeholderFields(v, `${path}[${i}]`));
  if (isObject(config)) return Object.entries(config).flatMap(([k, v]) => placeholderFields(v, path ? `${path}.${k}` : k));
  return isPlaceholder(config) ? [path] : [];
}

/**
 * Refuses a config meant for deployment whose ids are still the example's placeholders,
 * naming every such field (PlanError on the first, listing all). `skip` leaves out fields the
 * deployment does not use (e.g. nodeGroup.amiId when the AMI comes from SSM).
 */
export function refusePlaceholders(config: unknown, source: string, skip: readonly string[] = []): void {
  const fields = placeholderFields(config).filter((f) => !skip.includes(f));
  if (fields.length === 0) return;
  throw new PlanError(
    fields[0]!,
    `${fields.length === 1 ? "is still the example's placeholder" : `and ${fields.length - 1} more: ${fields.length} fields still hold the example's placeholders (${fields.join(", ")})`} (in ${source})`,
    `set ${fields.length === 1 ? "it" : "each"} to your cluster's real value (from the EC2 and EKS consoles, or aws eks describe-cluster)`,
  );
}
