#!/bin/bash
# multus-eni: one host configuration for the multus ENIs of a node, whenever they attach.
# Installed by the multus-eks node group's user data (modules/aws/user-data.ts); udev starts it
# for every new ENA/ixgbevf/vif interface (multus-eni@<iface>.service), the user data once for
# the interfaces already present.
#
#   multus-eni IFACE...     configure these interfaces if they are multus ENIs
#   multus-eni --all        every ENA, ixgbevf or vif interface present
#   multus-eni --forget IFACE   drop the state of an interface that went away (udev "remove")
#
# For a multus ENI (its subnet, read from IMDSv2 by MAC, is one the config lists) it:
#  - adds the alternative name multus<N>, N = the ENI's device-number in IMDS (the EC2 device
#    index), which the NetworkAttachmentDefinitions use as `master` on every instance family;
#    the device-number must be the one the config plans for that subnet;
#  - turns reverse-path filtering off on it and brings the link up;
#  - where systemd-networkd runs (AL2023), writes 60-multus-<iface>.network: link up, MTU 9001,
#    no address, no routes (or DHCP without gateway or routes with host-address dhcp). networkd
#    applies the first .network file in lexical order that matches, across /etc, /run and
#    /usr/lib (systemd.network(5)), so this file wins over nodeadm's 70-eks-<iface>.network and
#    amazon-ec2-net-utils' 70-<iface>.network / 80-ec2.network, whichever nodeadm decided;
#  - records the device in $STATE/enis/<N> (key=value lines) for the node agent, which lifts
#    the node's startup taint once every expected device is recorded and up.
# No brace expansions of variables in this file: the user data passes through Terraform, which
# would read them as interpolations.

CONF=$(printenv MULTUS_ENI_CONF || echo /etc/multus-eks/multus-eni.conf)
STATE=$(printenv MULTUS_ENI_STATE_DIR || echo /run/multus-eks)
IMDS=$(printenv MULTUS_ENI_IMDS || echo http://169.254.169.254)
# auto: only where systemd-networkd runs (its state directory exists); yes; no.
NETWORKD=$(printenv MULTUS_ENI_NETWORKD || echo auto)
NETWORKD_DIR=$(printenv MULTUS_ENI_NETWORKD_DIR || echo /run/systemd/network)
NETWORKCTL=$(printenv MULTUS_ENI_NETWORKCTL || echo networkctl)
SYSFS_NET=$(printenv MULTUS_ENI_SYSFS_NET || echo /sys/class/net)
# IMDS reads of a hot-plugged ENI are retried: its entries may not have propagated yet.
TRIES=$(printenv MULTUS_ENI_TRIES || echo 60)
INTERVAL=$(printenv MULTUS_ENI_INTERVAL || echo 1)
# EC2 gives ENIs a 9001-byte MTU inside the VPC; nodeadm's managed ENIs get the same
# (awslabs/amazon-eks-ami nodeadm/cmd/nodeadm-internal/udev/eks-managed.network.tpl).
MTU=9001
PREFIX=multus

log() { echo "multus-eni: $*" >&2; }

# One IMDSv2 token per run, fetched before any read (command substitutions run in subshells,
# which would each fetch their own otherwise).
TOKEN=""
imds_token() {
  local i
  for ((i = 0; i < TRIES; i++)); do
    TOKEN=$(curl -sf --max-time 2 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 21600" "$IMDS/latest/api/token") && [ -n "$TOKEN" ] && return 0
    sleep "$INTERVAL"
  done
  return 1
}

# imds PATH: one read; fails on an error or an empty answer.
imds() {
  local out
  out=$(curl -sf --max-time 2 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/$1") || return 1
  [ -n "$out" ] || return 1
  printf '%s\n' "$out"
}

# imds_retry PATH [AVOID]: reads until an answer other than AVOID, at most TRIES times.
imds_retry() {
  local i out
  for ((i = 0; i < TRIES; i++)); do
    if out=$(imds "$1") && [ "$out" != "$2" ]; then
      printf '%s\n' "$out"
      return 0
    fi
    sleep "$INTERVAL"
  done
  return 1
}

# planned SUBNET: the device index the config gives this subnet in this node's zone.
planned() {
  local kind dev subnet zone
  while read -r kind dev subnet zone; do
    if [ "$kind" = eni ] && [ "$subnet" = "$1" ] && [ "$zone" = "$ZONE" ]; then
      echo "$dev"
      return 0
    fi
  done <"$CONF"
  return 1
}

host_address() {
  local kind value
  while read -r kind value; do
    if [ "$kind" = host-address ]; then
      echo "$value"
      return 0
    fi
  done <"$CONF"
  echo none
}

uses_networkd() {
  [ "$NETWORKD" = yes ] || { [ "$NETWORKD" = auto ] && [ -d /run/systemd/netif ]; }
}

# Every device index this node expects (its zone's multus subnets), for the node agent.
write_expected() {
  local kind dev subnet zone list=""
  while read -r kind dev subnet zone; do
    if [ "$kind" = eni ] && [ "$zone" = "$ZONE" ]; then list="$list $dev"; fi
  done <"$CONF"
  printf '%s\n' "$list" | sed 's/^ //' >"$STATE/expected.tmp" && mv -f "$STATE/expected.tmp" "$STATE/expected"
}

write_network_file() {
  local iface=$1 mac=$2 dev=$3 subnet=$4 file="$NETWORKD_DIR/60-multus-$1.network"
  mkdir -p "$NETWORKD_DIR"
  {
    echo "# multus-eni: multus ENI device $dev ($subnet). Pods attach to it with ipvlan or macvlan,"
    echo "# which need the link, not a host address."
    echo "[Match]"
    echo "PermanentMACAddress=$mac"
    echo ""
    echo "[Link]"
    echo "MTUBytes=$MTU"
    echo ""
    echo "[Network]"
    if [ "$(host_address)" = dhcp ]; then
      echo "DHCP=ipv4"
    else
      echo "DHCP=no"
    fi
    echo "LinkLocalAddressing=no"
    echo "IPv6AcceptRA=no"
    echo "ConfigureWithoutCarrier=yes"
    if [ "$(host_address)" = dhcp ]; then
      echo ""
      echo "[DHCPv4]"
      echo "UseGateway=no"
      echo "UseRoutes=no"
      echo "UseDNS=no"
      echo "UseHostname=no"
    fi
  } >"$file.tmp" && mv -f "$file.tmp" "$file"
}

# Addresses, routes and rules nodeadm's or ec2-net-utils' networkd configuration may have given
# the ENI before our file took over: its DHCP address, route table 10000 + device index
# (network card 0) and the rule from its address
# (awslabs/amazon-eks-ami nodeadm/cmd/nodeadm-internal/udev/net_manager.go, ruleBase 10000).
drop_host_addressing() {
  local iface=$1 table=$((10000 + $2)) i
  ip -4 addr flush dev "$iface" scope global 2>/dev/null
  ip route flush table "$table" 2>/dev/null
  for ((i = 0; i < 16; i++)); do
    ip rule del table "$table" 2>/dev/null || break
  done
}

configure() {
  local iface=$1 mac subnet card dev want name owner
  if ! mac=$(cat "$SYSFS_NET/$iface/address" 2>/dev/null); then
    log "$iface: no such interface"
    return 1
  fi
  if [ "$mac" = "$PRIMARY_MAC" ]; then return 0; fi
  if ! subnet=$(imds_retry "network/interfaces/macs/$mac/subnet-id"); then
    log "$iface ($mac): no subnet-id in IMDS after $TRIES tries"
    return 1
  fi
  if ! want=$(planned "$subnet"); then
    # Not a multus subnet (the VPC CNI's ENIs, say): not ours.
    return 0
  fi
  # IMDS may answer 0 for a hot-plugged ENI's device-number before it has propagated; 0 is the
  # primary ENI's, which this is not (amazonlinux/amazon-ec2-net-utils lib/lib.sh,
  # _get_device_number).
  if ! dev=$(imds_retry "network/interfaces/macs/$mac/device-number" 0); then
    log "$iface ($mac, $subnet): no device-number in IMDS after $TRIES tries"
    return 1
  fi
  # network-card is absent on instance types with one card (amazon-eks-ami udev/ec2.go: 404 = 0).
  card=$(imds "network/interfaces/macs/$mac/network-card" || echo 0)
  if [ "$card" != 0 ] || [ "$dev" != "$want" ]; then
    log "$iface ($mac, $subnet): attached at network card $card device $dev, the plan says card 0 device $want; left unnamed"
    return 1
  fi
  name="$PREFIX$dev"
  if owner=$(ip -o link show dev "$name" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); [ -n "$owner" ]; then
    if [ "$owner" != "$iface" ]; then
      log "$iface: the name $name is held by $owner"
      return 1
    fi
  elif ! ip link property add dev "$iface" altname "$name"; then
    log "$iface: could not add the alternative name $name (needs Linux and iproute2 5.5 or later)"
    return 1
  fi
  # rp_filter off on the ENI: pod traffic arrives on it while the node's routes point elsewhere.
  echo 0 >"/proc/sys/net/ipv4/conf/$iface/rp_filter" || log "$iface: could not turn rp_filter off"
  if uses_networkd; then
    write_network_file "$iface" "$mac" "$dev" "$subnet"
    if [ "$(host_address)" != dhcp ]; then drop_host_addressing "$iface" "$dev"; fi
    if command -v "$NETWORKCTL" >/dev/null 2>&1; then
      "$NETWORKCTL" reload || log "networkctl reload failed"
      "$NETWORKCTL" reconfigure "$iface" || log "networkctl reconfigure $iface failed"
    fi
  fi
  ip link set dev "$iface" mtu "$MTU" 2>/dev/null || log "$iface: MTU $MTU refused; kept $(cat "$SYSFS_NET/$iface/mtu")"
  if ! ip link set dev "$iface" up; then
    log "$iface: could not bring the link up"
    return 1
  fi
  mkdir -p "$STATE/enis"
  printf 'device=%s\ninterface=%s\naltname=%s\nmac=%s\nsubnet=%s\n' "$dev" "$iface" "$name" "$mac" "$subnet" >"$STATE/enis/$dev.tmp" &&
    mv -f "$STATE/enis/$dev.tmp" "$STATE/enis/$dev"
  log "$iface ($mac, $subnet): device $dev named $name, up"
}

forget() {
  local f
  for f in "$STATE"/enis/*; do
    [ -f "$f" ] || continue
    if grep -qx "interface=$1" "$f"; then rm -f "$f"; fi
  done
}

enis_present() {
  local d drv
  for d in "$SYSFS_NET"/*; do
    drv=$(basename "$(readlink -f "$d/device/driver" 2>/dev/null)" 2>/dev/null)
    case "$drv" in ena | ixgbevf | vif) basename "$d" ;; esac
  done
}

main() {
  local list iface rc=0
  mkdir -p "$STATE/enis" || exit 1
  if [ "$1" = --forget ]; then
    forget "$2"
    exit 0
  fi
  if [ ! -r "$CONF" ]; then
    log "no configuration at $CONF"
    exit 2
  fi
  # One run at a time: udev may start several units at once, and --all runs beside them.
  exec 9>"$STATE/lock"
  flock -w 120 9 || { log "another multus-eni run holds $STATE/lock"; exit 1; }
  if [ "$1" = --all ]; then list=$(enis_present); else list=$(printf '%s\n' "$@"); fi
  if ! imds_token || ! PRIMARY_MAC=$(imds_retry mac) || ! ZONE=$(imds_retry placement/availability-zone); then
    log "IMDS at $IMDS did not answer"
    exit 1
  fi
  write_expected
  while read -r iface <&3; do
    if [ -n "$iface" ]; then configure "$iface" || rc=1; fi
  done 3<<<"$list"
  exit $rc
}

main "$@"
