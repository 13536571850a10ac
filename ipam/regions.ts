import { PlanError } from "../contract/errors";
import { nearest } from "./wording";

/**
 * The AWS account of the Amazon EKS add-on image registry in each region
 * (`<account>.dkr.ecr.<region>.<dns suffix>`). Source: Amazon EKS user guide, "View Amazon
 * container image registries for Amazon EKS add-ons",
 * https://docs.aws.amazon.com/eks/latest/userguide/add-ons-images.html (read from
 * awsdocs/amazon-eks-user-guide latest/ug/workloads/add-ons-images.adoc @1cc6ebb4a163;
 * ap-southeast-5 from the same page at https://docs.amazonaws.cn/en_us/eks/latest/userguide/add-ons-images.md).
 * That page writes the ap-east-2 registry with "ap-east-1" in its host name; registries are
 * regional, so we take it as a typo and use the region's own host (assumed).
 */
export const EKS_ADDON_REGISTRY_ACCOUNTS: Readonly<Record<string, string>> = {
  "af-south-1": "877085696533",
  "ap-east-1": "800184023465",
  "ap-east-2": "533267051163",
  "ap-northeast-1": "602401143452",
  "ap-northeast-2": "602401143452",
  "ap-northeast-3": "602401143452",
  "ap-south-1": "602401143452",
  "ap-south-2": "900889452093",
  "ap-southeast-1": "602401143452",
  "ap-southeast-2": "602401143452",
  "ap-southeast-3": "296578399912",
  "ap-southeast-4": "491585149902",
  "ap-southeast-5": "151610086707",
  "ap-southeast-6": "333609536671",
  "ap-southeast-7": "121268973566",
  "ca-central-1": "602401143452",
  "ca-west-1": "761377655185",
  "cn-north-1": "918309763551",
  "cn-northwest-1": "961992271922",
  "eu-central-1": "602401143452",
  "eu-central-2": "900612956339",
  "eu-north-1": "602401143452",
  "eu-south-1": "590381155156",
  "eu-south-2": "455263428931",
  "eu-west-1": "602401143452",
  "eu-west-2": "602401143452",
  "eu-west-3": "602401143452",
  "eusc-de-east-1": "877088126301",
  "il-central-1": "066635153087",
  "me-central-1": "759879836304",
  "me-south-1": "558608220178",
  "mx-central-1": "730335286997",
  "sa-east-1": "602401143452",
  "us-east-1": "602401143452",
  "us-east-2": "602401143452",
  "us-gov-east-1": "151742754352",
  "us-gov-west-1": "013241004608",
  "us-west-1": "602401143452",
  "us-west-2": "602401143452",
};

/** Region names as AWS writes them (`us-west-2`, `us-gov-east-1`, `eusc-de-east-1`). */
export const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

/** The DNS suffix of a region's endpoints: China and the European Sovereign Cloud have their own. */
export function dnsSuffix(region: string): string {
  if (region.startsWith("cn-")) return "amazonaws.com.cn";
  if (region.startsWith("eusc-")) return "amazonaws.eu";
  return "amazonaws.com";
}

/** The EKS add-on registry host of `region`, or undefined where AWS publishes none. */
export function eksAddonRegistry(region: string): string | undefined {
  const account = EKS_ADDON_REGISTRY_ACCOUNTS[region];
  return account ? `${account}.dkr.ecr.${region}.${dnsSuffix(region)}` : undefined;
}

/** Regions with an EKS add-on registry, nearest to `region` first (for error messages). */
export function nearestRegions(region: string, count = 3): string[] {
  return nearest(Object.keys(EKS_ADDON_REGISTRY_ACCOUNTS), region, count);
}

/**
 * An availability zone of `region`: the region's name and one letter (us-west-2a). Zone names
 * are the region's name plus a letter (EC2 user guide, "Regions and Zones",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html).
 */
/** An availability zone name: its region and a letter. */
export const ZONE_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d+[a-z]$/;

export function checkAvailabilityZone(zone: unknown, region: string, field: string, where = ""): string {
  if (typeof zone !== "string" || !ZONE_PATTERN.test(zone)) {
    throw new PlanError(field, `${JSON.stringify(zone)} is not an availability zone name${where}`, `use the form ${region}a`);
  }
  if (zone.slice(0, -1) !== region) {
    throw new PlanError(field, `${zone} is not in region ${region}${where}`, `use a zone of ${region} (e.g. ${region}a), or set region to ${zone.slice(0, -1)}`);
  }
  return zone;
}
