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
 * there. `kubectl exec sampleapp-1 -- ip addr` shows net1, net2, ...
 */
export function samplePod(networks: NetworkDefinition[], props: SampleProps = {}): K8sObject {
  const zone = networks[0]!.subnet.availabilityZone;
  const inZone = networks.filter((n) => n.subnet.availabilityZone === zone);
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
      nodeSelector: { "topology.kubernetes.io/zone": zone },
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
