#!/usr/bin/env bash
# A real S3 object store for the replica tests and demos: a single-node Ceph cluster (one
# monitor, one memstore OSD, the RADOS Gateway) serving the S3 API on 127.0.0.1, auth off
# inside the cluster, one S3 user (access key TESTKEY, secret TESTSECRET, region us-east-1,
# path-style URLs). Memstore: the data lives in the OSD's memory and is gone on stop.
#
#   bash scripts/s3.sh start    starts it unless this checkout's instance is already up (idempotent)
#   bash scripts/s3.sh stop     stops exactly the processes `start` recorded (their pid files)
#   bash scripts/s3.sh status   prints the endpoint and exits 0 when up, exits 1 otherwise
#
# State (ceph.conf, pid files, logs, the endpoint) is in .tmp/s3/ of this checkout. The RGW port
# is 17480 unless that is taken (another checkout's instance), then the next free one; the
# monitor's port likewise from 16789. Installs Debian's ceph-mon, ceph-osd, radosgw and
# ceph-common when missing (scripts/bootstrap.sh does too).
set -euo pipefail
cd "$(dirname "$0")/.."
D="$(pwd)/.tmp/s3"
C=(-c "$D/ceph.conf")

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port_from() {
  local p=$1
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

is_up() {
  [ -f "$D/endpoint" ] && pid_alive "$D/run/client.rgw.pid" && curl -sf -o /dev/null --max-time 3 "$(cat "$D/endpoint")/"
}

install_ceph() {
  command -v radosgw >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 && command -v ceph-osd >/dev/null 2>&1 && command -v ceph >/dev/null 2>&1 && return 0
  local SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "s3: installing Debian packages: ceph-mon ceph-osd radosgw ceph-common"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw ceph-common >/dev/null
}

stop() {
  # Only the daemons this script started: the pids in its own run directory, newest first.
  local f
  for f in "$D/run/client.rgw.pid" "$D"/run/osd.*.pid "$D"/run/mon.*.pid; do
    [ -f "$f" ] || continue
    if pid_alive "$f"; then
      local pid
      pid=$(cat "$f")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  rm -f "$D/endpoint"
}

start() {
  if is_up; then
    echo "s3: already up at $(cat "$D/endpoint")"
    return 0
  fi
  install_ceph
  stop # leftovers of a crashed run
  rm -rf "$D" && mkdir -p "$D"/{mon,osd0,run,log}
  local rgw_port mon_port fsid uuid id
  rgw_port=$(free_port_from "${S3_PORT:-17480}")
  mon_port=$(free_port_from 16789)
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$D/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 2147483648
osd data = $D/osd\$id
mon data = $D/mon
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
osd crush chooseleaf type = 0
osd crush update on start = false
osd class update on start = false
ms bind ipv4 = true
ms bind ipv6 = false
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw dns name = localhost
log file = $D/log/rgw.log
CONF
  ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --add a "v1:127.0.0.1:$mon_port" --fsid "$fsid" "$D/monmap" >/dev/null
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring" 9>&-
  # The daemons get neither this script's output streams (a caller reading them to the end would
  # wait for the daemons) nor its lock descriptor (the lock would stay held while they run).
  ceph-mon "${C[@]}" -i a </dev/null >>"$D/log/daemons.out" 2>&1 9>&-
  for _ in $(seq 1 30); do timeout 5 ceph "${C[@]}" -s >/dev/null 2>&1 && break; sleep 1; done
  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph "${C[@]}" osd create "$uuid")
  ceph-osd "${C[@]}" -i "$id" --mkfs --osd-uuid "$uuid" >/dev/null 2>&1
  ceph "${C[@]}" osd crush add "osd.$id" 1.0 root=default >/dev/null 2>&1 || true
  ceph-osd "${C[@]}" -i "$id" </dev/null >>"$D/log/daemons.out" 2>&1 9>&-
  for _ in $(seq 1 60); do ceph "${C[@]}" osd stat 2>/dev/null | grep -q "1 up" && break; sleep 1; done
  radosgw "${C[@]}" -n client.rgw </dev/null >>"$D/log/daemons.out" 2>&1 9>&-
  local url="http://127.0.0.1:$rgw_port"
  for _ in $(seq 1 90); do curl -s -o /dev/null --max-time 3 "$url/" && break; sleep 1; done
  curl -s -o /dev/null --max-time 3 "$url/" || { echo "s3: the gateway did not answer at $url (logs in $D/log)" >&2; stop; exit 1; }
  # The user may already exist when a start is retried against a live cluster.
  radosgw-admin "${C[@]}" user create --uid=test --display-name=test --access-key=TESTKEY --secret=TESTSECRET >/dev/null 2>&1 ||
    radosgw-admin "${C[@]}" user info --uid=test >/dev/null
  echo "$url" >"$D/endpoint"
  echo "s3: up at $url (access TESTKEY / TESTSECRET, region us-east-1; state in .tmp/s3)"
}

# One start or stop at a time per checkout (test workers may ask for the store concurrently).
mkdir -p "$(dirname "$D")"
exec 9>"$D.lock"
flock 9

case "${1:-}" in
  start) start ;;
  stop) stop && echo "s3: stopped" ;;
  status)
    if is_up; then cat "$D/endpoint"; else echo "s3: down" >&2; exit 1; fi
    ;;
  *)
    echo "usage: bash scripts/s3.sh start|stop|status" >&2
    exit 2
    ;;
esac
