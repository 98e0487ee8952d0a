#!/usr/bin/env bash
# Makes warts files with Debian's scamper across a chain of network namespaces, and what scamper's own
# sc_warts2json and sc_analysis_dump print for each, so that the Swift decoder can be compared with them.
#
#   Tests/Helpers/oracles/warts-oracle.sh OUTDIR
#
# Needs root (network namespaces), iproute2 and scamper. Uses private addresses (10.77.0.0/16, fd77::/16)
# inside namespaces it creates and deletes; nothing leaves the machine. Exit 77 when namespaces cannot be made.
#
# host --- r1 --- r2 (silent) --- r3 --- r4 --- target
#   10.77.66/24: r3 answers host unreachable      10.77.67/24: r3 answers administratively prohibited
#   10.77.88/24: routing loop between r3 and r4   10.77.99/24: r4 drops silently (blackhole)
set -euo pipefail
out=${1:?usage: warts-oracle.sh OUTDIR}
mkdir -p "$out"
export TZ=UTC
tag="plw$$"
nodes=(h r1 r2 r3 r4 t)

cleanup() {
    for n in "${nodes[@]}"; do ip netns del "$tag$n" 2>/dev/null || true; done
}
trap cleanup EXIT

if ! ip netns add "${tag}probe" 2>/dev/null; then
    echo "cannot create network namespaces (needs root): skipping" >&2
    exit 77
fi
ip netns del "${tag}probe"
command -v scamper >/dev/null || { echo "scamper is not installed" >&2; exit 1; }

ns() { ip netns exec "$tag$1" "${@:2}"; }
for n in "${nodes[@]}"; do
    ip netns add "$tag$n"
    ns "$n" ip link set lo up
    ns "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
        net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 \
        net.ipv4.icmp_msgs_burst=100000 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done

# link A B SUBNET: veth between A (.A_OCTET) and B, IPv4 10.77.SUBNET.0/24 and IPv6 fd77:SUBNET::/64
link() {
    local a=$1 b=$2 subnet=$3 ia=$4 ib=$5
    ip link add "${tag}${a}${b}" netns "$tag$a" type veth peer name "${tag}${b}${a}" netns "$tag$b"
    ns "$a" ip addr add "10.77.$subnet.$ia/24" dev "${tag}${a}${b}"
    ns "$b" ip addr add "10.77.$subnet.$ib/24" dev "${tag}${b}${a}"
    ns "$a" ip -6 addr add "fd77:$subnet::$ia/64" dev "${tag}${a}${b}" nodad
    ns "$b" ip -6 addr add "fd77:$subnet::$ib/64" dev "${tag}${b}${a}" nodad
    ns "$a" ip link set "${tag}${a}${b}" up
    ns "$b" ip link set "${tag}${b}${a}" up
}
link h r1 1 2 1
link r1 r2 2 1 2
link r2 r3 3 2 3
link r3 r4 4 3 4
link r4 t 5 4 5

route() { ns "$1" ip route add "${@:2}"; ns "$1" ip -6 route add "${@:2}" 2>/dev/null || true; }
ns h ip route add default via 10.77.1.1; ns h ip -6 route add default via fd77:1::1
ns r1 ip route add default via 10.77.2.2; ns r1 ip -6 route add default via fd77:2::2
# r2 is silent: its own ICMP finds no route back to the host, while forwarded replies (arriving from r3)
# are routed through table 100.
ns r2 ip route add default via 10.77.3.3; ns r2 ip -6 route add default via fd77:3::3
ns r2 ip route add 10.77.1.0/24 via 10.77.2.1 table 100; ns r2 ip -6 route add fd77:1::/64 via fd77:2::1 table 100
ns r2 ip rule add iif "${tag}r2r3" lookup 100; ns r2 ip -6 rule add iif "${tag}r2r3" lookup 100
ns r3 ip route add default via 10.77.4.4; ns r3 ip -6 route add default via fd77:4::4
ns r3 ip route add 10.77.1.0/24 via 10.77.3.2; ns r3 ip -6 route add fd77:1::/64 via fd77:3::2
ns r3 ip route add 10.77.2.0/24 via 10.77.3.2
ns r3 ip route add unreachable 10.77.66.0/24
ns r3 ip route add prohibit 10.77.67.0/24
ns r4 ip route add 10.77.1.0/24 via 10.77.4.3; ns r4 ip -6 route add fd77:1::/64 via fd77:4::3
ns r4 ip route add 10.77.88.0/24 via 10.77.4.3
ns r4 ip route add blackhole 10.77.99.0/24
ns t ip route add default via 10.77.5.4; ns t ip -6 route add default via fd77:5::4

# Wait until the far end answers (neighbour discovery, links up).
for _ in $(seq 1 50); do
    ns h scamper -c "ping -c 1" -i 10.77.5.5 2>/dev/null | grep -q "1 packets received" && break
    sleep 0.1
done

run() { # run NAME "COMMAND" ADDRESS...
    local name=$1 command=$2
    shift 2
    ns h scamper -O warts -o "$out/$name.warts" -c "$command" -i "$@" >/dev/null 2>&1 || true
}
run trace-multihop-udp-paris "trace -P udp-paris -q 2 -w 1" 10.77.5.5
run trace-multihop-all-attempts "trace -P icmp-paris -q 3 -Q -w 1" 10.77.5.5
run trace-unreachable "trace -P udp -w 1 -q 1" 10.77.66.1 10.77.67.1
run trace-loop "trace -P icmp-paris -w 1 -q 1" 10.77.88.1
run trace-gaplimit "trace -P udp-paris -w 1 -q 1 -g 2" 10.77.99.1
run trace-hoplimit "trace -P icmp-paris -w 1 -q 1 -m 2" 10.77.5.5
run trace-tcp-multihop "trace -P tcp -w 1 -q 1 -d 80" 10.77.5.5
run trace-multihop-v6 "trace -P icmp-paris -w 1 -q 2" fd77:5::5
run trace-firsthop "trace -P icmp-paris -w 1 -q 1 -f 3" 10.77.5.5
run ping-ttl-expired "ping -c 3 -m 1 -i 0.2" 10.77.5.5
run ping-all-lost "ping -c 3 -i 0.2" 10.77.99.1
run ping-udp-multihop "ping -P udp -c 2 -i 0.2" 10.77.5.5
run ping-tcp-syn-multihop "ping -P tcp-syn -d 80 -c 2 -i 0.2" 10.77.5.5
run ping-multihop-v6 "ping -c 2 -i 0.2" fd77:5::5
# Partial loss: the target stops answering echo requests after the second probe.
( sleep 1.5; ns t sysctl -qw net.ipv4.icmp_echo_ignore_all=1 ) &
run ping-partial-loss "ping -c 4 -i 1" 10.77.5.5
wait

for f in "$out"/*.warts; do
    base=${f%.warts}
    sc_warts2json "$f" > "$base.json" 2>/dev/null; echo $? > "$base.json.rc"
    sc_analysis_dump "$f" > "$base.dump" 2>/dev/null; echo $? > "$base.dump.rc"
done
ls "$out"/*.warts | wc -l
