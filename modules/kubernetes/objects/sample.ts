import { MULTUS_NODE_LABEL, ZONE_LABEL } from "../../../contract/node-label";
import { SAMPLE_IMAGE } from "../versions";
import { K8sObject, checkImage, checkName } from "./common";
import { NetworkDefinition } from "./nad";

export interface SampleProps {
  /** @default "sampleapp-1" as the reference */
  readonly name?: string;
  /** @default SAMPLE_IMAGE */
  readonly image?: string;
}

/** Multus reads the networks to attach from this pod annotation. */
export const NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks";

/**
 * A pod like the reference's sample: attached to every network of one availability zone (the
 * zone of the first multus subnet) and pinned to that zone, since a NAD's subnet exists only
 * there; with several node groups, to the networks of the first NAD's group and that group's
 * nodes. `kubectl exec sampleapp-1 -- ip addr` shows net1, net2, ...
 */
export function samplePod(networks: NetworkDefinition[], props: SampleProps = {}): K8sObject {
  const zone = networks[0]!.subnet.availabilityZone;
  // Several node groups: the networks the first NAD's first group has in that zone, on its nodes.
  const group = networks[0]!.nodeSelectorTerm ? networks[0]!.groups[0] : undefined;
  const inZone = networks.filter((n) => n.subnet.availabilityZone === zone && (group === undefined || n.groups.includes(group)));
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: checkName(props.name ?? "sampleapp-1", "sample.name"),
      namespace: inZone[0]!.namespace,
      annotations: { [NETWORKS_ANNOTATION]: inZone.map((n) => n.name).join(", ") },
      labels: { "app.kubernetes.io/name": "multus-sample" },
    },
    spec: {
      nodeSelector: { [ZONE_LABEL]: zone, ...(group !== undefined ? { [MULTUS_NODE_LABEL]: group } : {}) },
      containers: [
        {
          name: "sampleapp",
          image: checkImage(props.image ?? SAMPLE_IMAGE, "sample.image"),
          command: ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while true; do sleep 3600 & wait $!; done"],
          resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
        },
      ],
      terminationGracePeriodSeconds: 5,
    },
  };
}
