import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { PlanError } from "../../ipam";
import { K8sObject, ObjectList } from "./objects/common";

/**
 * Terraform reads `${...}` and `%{...}` in any string as interpolation or a template
 * directive; a manifest is literal data, so both are escaped (`$${`, `%%{`). cdktf's own
 * tokens (`${TfToken[...]}`, e.g. a variable reference) are left for cdktf to resolve.
 */
export function escapeTerraform(value: unknown): unknown {
  // Replacement functions: in a replacement string "$$" would itself mean "$".
  if (typeof value === "string") return value.replace(/\$\{(?!TfToken\[)/g, () => "$${").replace(/%\{/g, () => "%%{");
  if (Array.isArray(value)) return value.map(escapeTerraform);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [escapeTerraform(k) as string, escapeTerraform(v)]));
  }
  return value;
}

/** The inverse of escapeTerraform, for reading manifests back out of synthesized JSON. */
export function unescapeTerraform(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/\$\$\{/g, () => "${").replace(/%%\{/g, () => "%{");
  if (Array.isArray(value)) return value.map(unescapeTerraform);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [unescapeTerraform(k) as string, unescapeTerraform(v)]));
  }
  return value;
}

/** A stable construct id for an object: kind, namespace and name. */
export function objectId(obj: K8sObject): string {
  return [obj.kind, obj.metadata.namespace, obj.metadata.name].filter(Boolean).join("-").toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

/** What `kubernetes_manifest` waits by default (manifest/provider/apply.go, defaultCreateTimeout). */
export const DEFAULT_ROLLOUT_TIMEOUT = "10m";

/** A Go duration of hours, minutes and seconds, as Terraform timeouts take them ("10m", "1h30m"). */
export function checkDuration(value: unknown, field: string): string {
  if (typeof value !== "string" || !/^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/.test(value) || !/[1-9]/.test(value)) {
    throw new PlanError(field, `${JSON.stringify(value)} is not a duration`, 'give hours, minutes and seconds such as "10m" or "1h30m"');
  }
  return value;
}

const WORKLOADS = new Set(["DaemonSet", "Deployment", "StatefulSet", "Pod", "Job"]);
const ROLLOUT = new Set(["DaemonSet", "Deployment", "StatefulSet"]);

export interface ManifestSetProps {
  readonly objects: ObjectList;
  /**
   * Wait for DaemonSets and Deployments to finish rolling out before the apply moves on (like
   * `kubectl rollout status`), so whatever is applied next finds them running. @default true
   */
  readonly waitForRollout?: boolean;
  /**
   * How long an apply waits for a rollout (a Go duration: "10m", "1h30m"), written as the
   * resource's create and update timeouts. Past it the apply fails with "Operation timed out:
   * timed out waiting on rollout to complete" (hashicorp/terraform-provider-kubernetes v2.38.0
   * manifest/provider/waiter.go); the object stays applied, and a new one is marked tainted, so
   * the next apply replaces it. @default "10m" (the provider's own default, written out)
   */
  readonly rolloutTimeout?: string;
  /** Resources every object of the set waits for (e.g. the NADs a sample pod attaches to). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * One `kubernetes_manifest` per object. Workloads depend on the set's other objects (service
 * account, RBAC, config maps, CRDs), so their pods start with everything in place.
 */
export class ManifestSet extends Construct {
  readonly objects: ObjectList;
  readonly resources: Manifest[];

  constructor(scope: Construct, id: string, props: ManifestSetProps) {
    super(scope, id);
    this.objects = props.objects;
    const wait = props.waitForRollout ?? true;
    const timeout = checkDuration(props.rolloutTimeout ?? DEFAULT_ROLLOUT_TIMEOUT, `${this.node.path}.rolloutTimeout`);
    const ids = props.objects.map(objectId);
    ids.forEach((rid, i) => {
      if (ids.indexOf(rid) !== i) {
        const o = props.objects[i]!;
        throw new Error(`${this.node.path}: two objects are both ${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`);
      }
    });
    const external = props.dependsOn ?? [];
    const make = (obj: K8sObject, rid: string, local: Manifest[]) => {
      const dependsOn = [...external, ...local];
      return new Manifest(this, rid, {
        manifest: escapeTerraform(obj) as Record<string, unknown>,
        ...(dependsOn.length ? { dependsOn } : {}),
        ...(wait && ROLLOUT.has(obj.kind) ? { wait: { rollout: true }, timeouts: { create: timeout, update: timeout } } : {}),
      });
    };
    const built = new Map<number, Manifest>();
    props.objects.forEach((obj, i) => {
      if (!WORKLOADS.has(obj.kind)) built.set(i, make(obj, ids[i]!, []));
    });
    const support = [...built.values()];
    props.objects.forEach((obj, i) => {
      if (WORKLOADS.has(obj.kind)) built.set(i, make(obj, ids[i]!, support));
    });
    this.resources = props.objects.map((_, i) => built.get(i)!);
  }
}
