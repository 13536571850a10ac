import { DataTerraformRemoteStateLocal, LocalBackend, TerraformRemoteState, TerraformStack } from "cdktf";
import { Construct } from "constructs";

/**
 * Where a root-mode stack keeps its local state, relative to the stack's directory
 * (`<outdir>/stacks/<stack>`, where cdktf and Terraform run): beside the output directory, i.e.
 * the project root for the default `cdktf.out`. That is where cdktf's own default puts it, so
 * deleting or re-synthesizing `cdktf.out` never touches state, but written as a relative path:
 * cdktf's default is absolute and leaks the build machine's directory into the Terraform JSON.
 */
export function stackStatePath(stackId: string): string {
  return `../../../terraform.${stackId}.tfstate`;
}

/**
 * cdktf's local backend with the state at `stackStatePath`. Stacks that read this one's outputs
 * (cross-stack references) sit in sibling directories at the same depth, so the same relative
 * path finds the state from them.
 */
export class RelativeLocalBackend extends LocalBackend {
  private readonly stackId: string;

  constructor(scope: Construct) {
    const stackId = TerraformStack.of(scope).node.id;
    super(scope, { path: stackStatePath(stackId), workspaceDir: "../../../terraform.tfstate.d" });
    this.stackId = stackId;
  }

  override getRemoteStateDataSource(scope: Construct, name: string, _fromStack: string): TerraformRemoteState {
    return new DataTerraformRemoteStateLocal(scope, name, {
      path: stackStatePath(this.stackId),
      workspaceDir: "../../../terraform.tfstate.d",
      workspace: "${terraform.workspace}",
    });
  }
}
