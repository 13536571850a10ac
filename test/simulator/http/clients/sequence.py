"""One sequence of EC2 and Auto Scaling calls through boto3, against any endpoint.

Builds its own world (VPC, subnet, reservation, launch template, group with a launch hook),
then asks the questions the simulator exists for, and prints what it saw as one JSON object:
each check's outcome (the value read, or the error code and HTTP status). The caller judges
the outcomes; this script only observes, so it runs unchanged against `multus-sim serve` and
against moto_server.

Usage: python3 sequence.py ENDPOINT_URL   (the endpoint starts empty: names are fixed)
"""

import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

endpoint = sys.argv[1]
common = dict(
    endpoint_url=endpoint,
    region_name="us-west-2",
    aws_access_key_id="AKIDSIMULATOR",
    aws_secret_access_key="simulator",
    config=Config(retries={"max_attempts": 1, "mode": "standard"}),
)
ec2 = boto3.client("ec2", **common)
asg = boto3.client("autoscaling", **common)
out = {}


def call(name, fn, **kwargs):
    """Runs one call; records the error code and HTTP status if it fails. Returns the response or None."""
    try:
        return fn(**kwargs)
    except ClientError as e:
        out[name] = {"error": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
        return None
    except ResponseParserError as e:
        # Not an AWS error document at all (an HTML error page, say).
        out[name] = {"error": "ResponseParserError", "detail": str(e)[:300]}
        return None


def eni_at(name, subnet_id, ip):
    r = call(name, ec2.create_network_interface, SubnetId=subnet_id, PrivateIpAddress=ip)
    if r is not None:
        out[name] = {"value": r["NetworkInterface"]["PrivateIpAddress"]}


vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-west-2a")["Subnet"]["SubnetId"]

listed = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
out["list-subnets"] = {"value": sorted(s["CidrBlock"] for s in listed)}

eni_at("fixed-address", subnet, "10.9.1.10")
eni_at("taken-address", subnet, "10.9.1.10")
eni_at("reserved-router", subnet, "10.9.1.1")
eni_at("reserved-broadcast", subnet, "10.9.1.255")
eni_at("outside-subnet", subnet, "10.9.2.10")

# The lower half reserved (explicit), then DHCP: every pick should land in the upper half. 20
# picks: a DHCP that ignored the reservation and picked at random among the 251 usable
# addresses would keep all 20 out of it once in a million runs ((124/251)^20).
call("reservation", ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr="10.9.1.0/25", ReservationType="explicit")
picks = []
for _ in range(20):
    r = call("dhcp-outside-reservation", ec2.create_network_interface, SubnetId=subnet)
    if r is None:
        break
    picks.append(r["NetworkInterface"]["PrivateIpAddress"])
if "dhcp-outside-reservation" not in out:
    out["dhcp-outside-reservation"] = {"value": sorted(picks, key=lambda ip: int(ip.split(".")[3]))}

image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
ec2.create_launch_template(LaunchTemplateName="seq-lt", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.medium"})
asg.create_auto_scaling_group(
    AutoScalingGroupName="seq-group",
    MinSize=0,
    MaxSize=2,
    DesiredCapacity=1,
    LaunchTemplate={"LaunchTemplateName": "seq-lt", "Version": "$Latest"},
    VPCZoneIdentifier=subnet,
    LifecycleHookSpecificationList=[
        {"LifecycleHookName": "seq-launch", "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING", "DefaultResult": "ABANDON", "HeartbeatTimeout": 300}
    ],
)
members = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["seq-group"])["AutoScalingGroups"][0]["Instances"]
out["launch-hook-pending-wait"] = {"value": [m["LifecycleState"] for m in members]}
if members:
    done = call(
        "complete-lifecycle-action",
        asg.complete_lifecycle_action,
        AutoScalingGroupName="seq-group",
        LifecycleHookName="seq-launch",
        InstanceId=members[0]["InstanceId"],
        LifecycleActionResult="CONTINUE",
    )
    if done is not None:
        after = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["seq-group"])["AutoScalingGroups"][0]["Instances"]
        out["complete-lifecycle-action"] = {"value": [m["LifecycleState"] for m in after]}

print(json.dumps(out))
