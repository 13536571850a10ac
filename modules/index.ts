// The AWS constructs. The Kubernetes stacks are imported from modules/kubernetes directly.
export * from "./aws";
