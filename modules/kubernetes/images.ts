import { PlanError } from "../../ipam";
import { eksAddonRegistry, nearestRegions } from "../../ipam/regions";
import { MULTUS_VERSION } from "./versions";

/** Where EKS publishes the Multus image: the region's EKS add-on registry (ipam/regions.ts). */
export function multusImageFor(region: string, version = MULTUS_VERSION): string | undefined {
  const registry = eksAddonRegistry(region);
  return registry ? `${registry}/eks/multus-cni:${version}_thick` : undefined;
}

/**
 * The Multus image for a cluster in `region`: `image` when given, else the one EKS publishes in
 * the region's add-on registry. Throws naming `multus.image` where AWS publishes none.
 */
export function selectMultusImage(region: string, image?: string): string {
  if (image !== undefined) return image;
  const published = multusImageFor(region);
  if (published) return published;
  throw new PlanError(
    "multus.image",
    `EKS publishes no add-on images in region ${region} (nearest known: ${nearestRegions(region).join(", ")})`,
    `correct region, or set multus.image to a Multus ${MULTUS_VERSION} thick image your nodes can pull`,
  );
}
