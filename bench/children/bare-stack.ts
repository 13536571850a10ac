/**
 * The smallest cdktf app worth comparing with: one stack, the AWS provider, one S3 bucket,
 * imported by deep path as the project does. Usage: bare-stack.ts <outdir>
 */
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";

const app = new App({ outdir: process.argv[2] ?? "cdktf.out" });
const stack = new TerraformStack(app, "bare");
new AwsProvider(stack, "aws", { region: "us-west-2" });
new S3Bucket(stack, "bucket", { bucket: "bench-bare-bucket" });
app.synth();
