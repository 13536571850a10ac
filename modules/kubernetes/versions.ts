/**
 * Pinned versions and images of everything the Kubernetes stacks install. One place, so an
 * upgrade is one reviewed diff.
 */

/**
 * Multus thick plugin as AWS ships it for EKS. The objects in objects/multus.ts follow
 * aws/amazon-vpc-cni-k8s config/multus/v4.1.4-eksbuild.3/multus-daemonset-thick.yml (last
 * changed in commit fa2dfdaf4868, "Update multus-daemonset-thick.yml (#3323)": `cp -f` for the shim
 * and 200Mi for the daemon).
 */
export const MULTUS_VERSION = "v4.1.4-eksbuild.3";

/**
 * The image in that manifest, in the us-west-2 registry. EKS add-on images live in a registry
 * per region with its own account: images.ts picks the cluster region's from ipam/regions.ts.
 */
export const MULTUS_IMAGE = `602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/multus-cni:${MULTUS_VERSION}_thick`;

/**
 * whereabouts IPAM, release v0.9.4 (tag commit 3a262bd0cd87). Objects follow
 * k8snetworkplumbingwg/whereabouts at that tag: doc/crds/daemonset-install.yaml,
 * doc/crds/reconciler-deployment.yaml and doc/crds/whereabouts.cni.cncf.io_*.yaml. The
 * upstream manifests say `:latest`; the release workflow (.github/workflows/image-push-release.yml)
 * pushes a multi-arch image tagged with the git tag, which is what we pin.
 */
export const WHEREABOUTS_VERSION = "v0.9.4";
export const WHEREABOUTS_IMAGE = `ghcr.io/k8snetworkplumbingwg/whereabouts:${WHEREABOUTS_VERSION}`;

/**
 * The sample workload's image: busybox (it has the `ip` applet to show the multus interface),
 * from the ECR Public mirror of Docker official images so nodes in a VPC avoid Docker Hub's
 * pull limits. The reference used praqma/network-multitool without a tag.
 */
export const SAMPLE_IMAGE = "public.ecr.aws/docker/library/busybox:1.36";

/** Shown where the node agent's image must be given; refused by validation. */
export const AGENT_IMAGE_PLACEHOLDER = "<account>.dkr.ecr.<region>.amazonaws.com/multus-node-agent:<tag>";
