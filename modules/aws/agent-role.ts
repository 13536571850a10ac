import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AGENT_SERVICE_ACCOUNT } from "../../contract/agent-env";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { awsContext, AwsContext } from "./aws-context";
import { PropChecker, arn, fitName, isLiteral } from "./common";

/**
 * The node agent's EC2 permissions: assign and unassign secondary IPs (and, `dualStack`, IPv6
 * addresses) only on ENIs whose node-group tag has one of `tagValues`. Describe* actions take
 * no resource-level permissions, so they need "*"
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 */
export function agentPolicyStatements(ctx: AwsContext, tagValues: string[], dualStack = false): DataAwsIamPolicyDocumentStatement[] {
  return [
    {
      sid: "AssignPodAddressesOnOwnEnis",
      effect: "Allow",
      // IPv6 has no AllowReassignment: a moving address is unassigned, then assigned (agent/).
      actions: ["ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses", ...(dualStack ? ["ec2:AssignIpv6Addresses", "ec2:UnassignIpv6Addresses"] : [])],
      resources: [arn(ctx.partition, "ec2", ctx.region, "network-interface/*")],
      condition: [{ test: "StringEquals", variable: `aws:ResourceTag/${ENI_TAG_KEYS.nodeGroup}`, values: tagValues }],
    },
    { sid: "Describe", effect: "Allow", actions: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], resources: ["*"] },
  ];
}

export type AgentCredentials = "pod-identity" | "irsa";

/** Props of {@link NodeAgentRole}. */
export interface NodeAgentRoleProps {
  readonly clusterName: string;
  /** ENI tag values of every node group whose nodes run the agent (its one service account serves them all). */
  readonly eniTagValues: string[];
  /** Some of those groups sit on a dual-stack network: the IPv6 assign and unassign actions too. @default false */
  readonly dualStack?: boolean;
  /**
   * `pod-identity`: an EKS Pod Identity association of the role with the agent's service
   * account (the cluster needs the eks-pod-identity-agent add-on); `irsa`: a role the cluster's
   * OIDC provider may assume for that service account (annotated with the role by the
   * Kubernetes stack). @default "pod-identity"
   */
  readonly credentials?: AgentCredentials;
  /** `irsa`: the cluster's IAM OIDC provider ARN. */
  readonly oidcProviderArn?: string;
  /** @default AGENT_SERVICE_ACCOUNT.namespace ("kube-system") */
  readonly namespace?: string;
  /** @default AGENT_SERVICE_ACCOUNT.name ("multus-node-agent") */
  readonly serviceAccount?: string;
  /** @default `${clusterName}-multus-agent-` (prefix) */
  readonly roleNamePrefix?: string;
  /** @default "/" */
  readonly rolePath?: string;
  /** @default none */
  readonly permissionsBoundary?: string;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * The node agent's own IAM role, for node roles that hold no ENI permission
 * (`iam.attachCniPolicy: false`): its tag-scoped policy is then the only one in the cluster's
 * nodes' reach that can touch multus ENIs. Trusted by EKS Pod Identity
 * (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html: `pods.eks.amazonaws.com`,
 * sts:AssumeRole and sts:TagSession) or, for IRSA, by the cluster's OIDC provider for exactly the
 * agent's service account (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
 */
export class NodeAgentRole extends Construct {
  readonly role: IamRole;
  readonly credentials: AgentCredentials;
  readonly association?: EksPodIdentityAssociation;
  readonly policyJson: string;

  constructor(scope: Construct, id: string, props: NodeAgentRoleProps) {
    super(scope, id);
    const c = new PropChecker("NodeAgentRole");
    const credentials = props.credentials ?? "pod-identity";
    c.oneOf(credentials, "credentials", ["pod-identity", "irsa"] as const);
    if (props.eniTagValues.length === 0) c.fail("eniTagValues", "is empty", "give the ENI tag value of every node group the agent serves");
    if (credentials === "irsa") c.str(props.oidcProviderArn, "oidcProviderArn", /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/, "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE");
    const namespace = props.namespace ?? AGENT_SERVICE_ACCOUNT.namespace;
    const serviceAccount = props.serviceAccount ?? AGENT_SERVICE_ACCOUNT.name;
    const ctx = awsContext(this);
    const tags = props.tags ?? {};
    this.credentials = credentials;

    let trust: DataAwsIamPolicyDocumentStatement;
    if (credentials === "pod-identity") {
      trust = { effect: "Allow", actions: ["sts:AssumeRole", "sts:TagSession"], principals: [{ type: "Service", identifiers: ["pods.eks.amazonaws.com"] }] };
    } else {
      const provider = props.oidcProviderArn!;
      // The issuer (oidc.eks.<region>.amazonaws.com/id/<id>) is what follows oidc-provider/ in the ARN.
      const issuer = isLiteral(provider) ? provider.slice(provider.indexOf("oidc-provider/") + "oidc-provider/".length) : Token.asString(Fn.element(Fn.split("oidc-provider/", provider), 1));
      trust = {
        effect: "Allow",
        actions: ["sts:AssumeRoleWithWebIdentity"],
        principals: [{ type: "Federated", identifiers: [provider] }],
        condition: [
          { test: "StringEquals", variable: `${issuer}:sub`, values: [`system:serviceaccount:${namespace}:${serviceAccount}`] },
          { test: "StringEquals", variable: `${issuer}:aud`, values: ["sts.amazonaws.com"] },
        ],
      };
    }
    const assume = new DataAwsIamPolicyDocument(this, "assume-role", { statement: [trust] });
    this.role = new IamRole(this, "role", {
      namePrefix: props.roleNamePrefix ?? fitName(`${props.clusterName}-multus-agent-`, 38),
      path: props.rolePath,
      permissionsBoundary: props.permissionsBoundary,
      description: fitName(`Multus node agent of ${props.clusterName} (${credentials}): pod IPs on the multus ENIs of its node groups`, 1000),
      assumeRolePolicy: assume.json,
      tags,
    });
    const doc = new DataAwsIamPolicyDocument(this, "policy-document", { statement: agentPolicyStatements(ctx, props.eniTagValues, props.dualStack ?? false) });
    this.policyJson = doc.json;
    new IamRolePolicy(this, "policy", { name: "multus-node-agent", role: this.role.name, policy: doc.json });
    if (credentials === "pod-identity") {
      this.association = new EksPodIdentityAssociation(this, "pod-identity", {
        clusterName: props.clusterName,
        namespace,
        serviceAccount,
        roleArn: this.role.arn,
        tags,
      });
    }
  }
}
