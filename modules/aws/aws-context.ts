import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";

/**
 * Partition and region of the stack, for ARNs and service principals. Both data sources are
 * answered by the provider itself, without an AWS call, so synth and plan need no account
 * (checked with terraform plan -refresh=false and fake credentials). One pair per stack.
 */
export interface AwsContext {
  readonly partition: string;
  readonly dnsSuffix: string;
  readonly region: string;
}

export function awsContext(scope: Construct): AwsContext {
  const stack = TerraformStack.of(scope);
  const partition = (stack.node.tryFindChild("aws-partition") as DataAwsPartition | undefined) ?? new DataAwsPartition(stack, "aws-partition");
  const region = (stack.node.tryFindChild("aws-region") as DataAwsRegion | undefined) ?? new DataAwsRegion(stack, "aws-region");
  return { partition: partition.partition, dnsSuffix: partition.dnsSuffix, region: region.name };
}
