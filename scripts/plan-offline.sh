#!/usr/bin/env bash
# npm run plan:offline [-- STACK_DIR [PLAN FLAGS]]: terraform init and plan of the synthesized
# AWS stack with no AWS account; the plan "includes an implied validation check" (terraform's
# docs, "terraform validate command"), so no separate validate loads the 700 MB provider once
# more. Flags after the directory go to terraform plan (e.g. -out=tfplan, for terraform show -json). The aws provider comes from the mirror at
# $TF_PLUGIN_DIR (/opt/tf-plugins) where present, else from the registry. For the plan, a provider override
# with fake keys skips every account look-up (credentials, account id, metadata); it is removed
# again on exit so a real `terraform apply` in the directory never sees it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
given="${1:-}"
dir="${given:-$root/cdktf.out/stacks/multus-aws}"
shift || true
plugin_dir="${TF_PLUGIN_DIR:-/opt/tf-plugins}"
if [ ! -f "$dir/cdk.tf.json" ]; then
  [ -z "$given" ] || { echo "error: $dir has no cdk.tf.json (run npm run synth first)" >&2; exit 2; }
  (cd "$root" && npm run -s synth)
fi
command -v terraform >/dev/null || { echo "error: terraform is not on PATH" >&2; exit 2; }
cd "$dir"
override="zz_offline_override.tf.json"
trap 'rm -f "$override"' EXIT
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIAOFFLINEPLANONLY0 AWS_SECRET_ACCESS_KEY=offline-plan-only
init=(init -input=false -no-color)
if [ -d "$plugin_dir" ]; then init+=("-plugin-dir=$plugin_dir"); else echo "note: $plugin_dir not found: terraform init downloads the aws provider" >&2; fi
terraform "${init[@]}" >/dev/null
cat > "$override" <<'JSON'
{"provider":{"aws":[{"skip_credentials_validation":true,"skip_requesting_account_id":true,"skip_metadata_api_check":true,"skip_region_validation":true}]}}
JSON
terraform plan -refresh=false -input=false -lock=false -no-color "$@"
