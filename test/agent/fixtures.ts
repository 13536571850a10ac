/**
 * Real k8s.v1.cni.cncf.io/network-status annotations, as published (whitespace as shown).
 */

/**
 * Multus with flannel as the cluster network and one macvlan attachment. Source:
 * k8snetworkplumbingwg/multus-cni docs/quickstart.md ("Network Status Annotations"),
 * commit 95a0932350f0060cd232096876e24672a1de83fa.
 */
export const MULTUS_QUICKSTART = `[{
    "name": "cbr0",
    "ips": [
        "10.244.1.73"
    ],
    "default": true,
    "dns": {}
},{
    "name": "macvlan-conf",
    "interface": "net1",
    "ips": [
        "192.168.1.205"
    ],
    "mac": "86:1d:96:ff:55:0d",
    "dns": {}
}]`;

/**
 * EKS: the VPC CNI (aws-cni) as the cluster network, on a dummy interface with mac "0", and
 * one bridge attachment. Source: yagosys/202301 (EKS cFOS demo, `kubectl describe pod` output
 * of fos-deployment-x8vzj).
 */
export const EKS_AWS_CNI_BRIDGE = `[{
    "name": "aws-cni",
    "interface": "dummydb68da92e6e",
    "ips": [
        "10.0.19.107"
    ],
    "mac": "0",
    "default": true,
    "dns": {}
},{
    "name": "default/cfosdefaultcni5",
    "interface": "net1",
    "ips": [
        "10.1.200.252"
    ],
    "mac": "8e:2c:2a:6b:90:49",
    "dns": {}
}]`;

/**
 * EKS with three ipvlan attachments, the third without an address (0.0.0.0). Source:
 * aerospike/aerospike-kubernetes-operator test/cluster/network_policy_test.go (the annotation
 * its tests put on pods, "CNI updates this network-status in the pod annotations").
 */
export const EKS_IPVLAN_THREE = `[{
    "name": "aws-cni",
    "interface": "eth0",
    "ips": [
        "10.0.2.114"
    ],
    "default": true,
    "dns": {}
},{
    "name": "test1/ipvlan-conf-1",
    "interface": "net1",
    "ips": [
        "10.0.4.70"
    ],
    "mac": "06:18:e7:3e:50:65",
    "dns": {}
},{
    "name": "test1/ipvlan-conf-2",
    "interface": "net2",
    "ips": [
        "10.0.6.70"
    ],
    "mac": "06:0d:8f:a4:be:f9",
    "dns": {}
},{
    "name": "test1/ipvlan-conf-3",
    "interface": "net3",
    "ips": [
        "0.0.0.0"
    ],
    "mac": "06:0d:8f:a4:be:f8",
    "dns": {}
}]`;
