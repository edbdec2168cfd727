#!/usr/bin/env bash
# scripts/lab/setup.sh - install everything the loopback lab needs to run real
# servers on 127.0.0.1 (Debian 12 / bookworm, run as root; CI runs it too).
#
#   * Debian packages: PostgreSQL 15, etcd, PgBouncer, HAProxy, Prometheus
#     (promtool), Alertmanager (amtool), postgres_exporter, python3-venv, nftables, ...
#   * Patroni (pinned) in a venv:           $LAB_HOME/patroni-venv
#   * Kafka broker/tools/Connect jars:      $LAB_HOME/kafka-libs/
#   * Debezium Postgres Connect plugin:     $LAB_HOME/connect-plugins/debezium-connector-postgres/
#   * pgbouncer_exporter, postgres_exporter built from source: $LAB_HOME/bin/
#   * VersityGW (the S3 server) built from the Go module proxy: $LAB_HOME/bin/versitygw
#
# Idempotent: every step checks a version marker first and is skipped when
# already done. It never starts a server, and keeps Debian packages from
# starting their services (policy-rc.d -> 101 while installing; anything a
# package start-up left running anyway is stopped afterwards).
#
# Environment knobs: LAB_HOME (default /opt/dataplatform), LAB_SETUP_VERBOSE=1.
set -euo pipefail

LAB_HOME=${LAB_HOME:-/opt/dataplatform}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM="$SCRIPT_DIR/pom.xml"

PATRONI_VERSION=4.0.4  # the Patroni in the Docker image (spilo-17:4.0-p3), so the lab runs the same code
KAFKA_VERSION=4.3.1          # keep in sync with pom.xml
DEBEZIUM_VERSION=3.7.0.Final # keep in sync with pom.xml
PGBOUNCER_EXPORTER_VERSION=v0.12.1
# The Docker image pins v0.20.1; the first version the module proxy serves wins.
POSTGRES_EXPORTER_VERSIONS=(v0.20.1 v0.19.1)
VERSITYGW_VERSION=v1.8.0  # the Docker image's tag (constructs/platform/images.ts)

export DEBIAN_FRONTEND=noninteractive
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly
STAMPS="$LAB_HOME/.stamps"
START_TS=$(date +%s)

log() { printf '[lab-setup] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# run CMD quietly; show its output only when it fails (or LAB_SETUP_VERBOSE=1)
quiet() {
  local out rc=0
  if [[ ${LAB_SETUP_VERBOSE:-0} == 1 ]]; then "$@"; return; fi
  out=$(mktemp)
  "$@" >"$out" 2>&1 || rc=$?
  if ((rc != 0)); then
    log "command failed (rc=$rc): $*"
    tail -n 60 "$out" >&2
  fi
  rm -f "$out"
  return "$rc"
}

[[ $(id -u) == 0 ]] || die "run as root (it installs Debian packages into the system)"
mkdir -p "$LAB_HOME/bin" "$STAMPS"

# ---------------------------------------------------------------------------
# 1. Debian packages
# ---------------------------------------------------------------------------
APT_PACKAGES=(
  postgresql-15 postgresql-client-15 postgresql-contrib
  etcd-server etcd-client
  pgbouncer haproxy
  dnsmasq-base  # a stub resolver for the HAProxy re-resolution test
  prometheus prometheus-alertmanager prometheus-postgres-exporter
  python3-venv
  pgbackrest awscli
  curl jq ca-certificates procps iproute2 util-linux
  nftables # the lab's partitions (scripts/lab/partition.ts); util-linux gives them unshare
  time # GNU time: bench:memory reads the peak RSS of the Kafka health-check JVM
  busybox
)
command -v java >/dev/null 2>&1 || APT_PACKAGES+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || APT_PACKAGES+=(maven)

pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]; }

POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=
restore_policy() {
  if [[ -n $POLICY_BACKUP ]]; then
    if [[ $POLICY_BACKUP == none ]]; then rm -f "$POLICY"; else mv -f "$POLICY_BACKUP" "$POLICY"; fi
    POLICY_BACKUP=
  fi
}
trap restore_policy EXIT

# Stop whatever a package's start-up left running: Debian-managed PostgreSQL
# clusters, and daemons born while apt ran (never a lab's own servers, which
# use their own data dirs and are not listed by pg_lsclusters).
stop_debian_clusters() {
  local ver cluster status
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  while read -r ver cluster _ status _; do
    [[ $status == online* ]] || continue
    log "stopping Debian-managed PostgreSQL cluster $ver/$cluster"
    pg_ctlcluster "$ver" "$cluster" stop -m fast || true
  done < <(pg_lsclusters -h 2>/dev/null || true)
}
kill_daemons_started_since() {
  local since=$1 now pid etimes exe args
  now=$(date +%s)
  while read -r pid etimes exe args; do
    case ${exe##*/} in
      postgres|etcd|pgbouncer|haproxy|prometheus|prometheus-*|alertmanager) ;;
      *) continue ;;
    esac
    ((etimes <= now - since)) || continue
    # Debian's init scripts run the daemons with their /etc config or no args.
    [[ -z $args || $args == */etc/* ]] || continue
    log "stopping ${exe##*/} (pid $pid) started by a package install"
    kill "$pid" 2>/dev/null || true
  done < <(ps -eo pid=,etimes=,args=)
}

missing=()
for p in "${APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  log "apt: installing ${missing[*]}"; t0=$SECONDS
  if [[ -e $POLICY ]]; then
    if ! grep -qx 'exit 101' "$POLICY"; then
      POLICY_BACKUP="$POLICY.lab-setup.bak"; cp -p "$POLICY" "$POLICY_BACKUP"
      printf '#!/bin/sh\nexit 101\n' >"$POLICY"; chmod 755 "$POLICY"
    fi
  else
    POLICY_BACKUP=none
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"; chmod 755 "$POLICY"
  fi
  apt_since=$(date +%s)
  quiet apt-get update -q
  quiet apt-get install -y -q --no-install-recommends "${missing[@]}"
  restore_policy
  sleep 1
  kill_daemons_started_since "$apt_since"
  log "  apt done in $((SECONDS - t0))s"
fi
# The default cluster (port 5432) may also have been started by hand.
stop_debian_clusters

PG_BIN=/usr/lib/postgresql/15/bin
for b in "$PG_BIN/postgres" "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$PG_BIN/pg_basebackup" "$PG_BIN/pg_rewind" \
         /usr/bin/psql /usr/bin/etcd /usr/bin/etcdctl /usr/sbin/pgbouncer /usr/sbin/haproxy /usr/sbin/dnsmasq \
         /usr/bin/prometheus /usr/bin/promtool /usr/bin/prometheus-alertmanager /usr/bin/amtool \
         /usr/bin/prometheus-postgres-exporter /usr/bin/setpriv /usr/bin/pgbackrest /usr/bin/aws; do
  [[ -x $b ]] || die "expected binary missing after apt install: $b"
done

# ---------------------------------------------------------------------------
# 2. Patroni in a venv (Debian's patroni 3.0.2 is not used)
# ---------------------------------------------------------------------------
VENV="$LAB_HOME/patroni-venv"
if [[ $("$VENV/bin/patroni" --version 2>/dev/null || true) != "patroni $PATRONI_VERSION" ]] \
   || ! "$VENV/bin/python" -c 'import psycopg, etcd' 2>/dev/null; then
  log "pip: patroni $PATRONI_VERSION -> $VENV"; t0=$SECONDS
  constraints=$(mktemp)
  # Resolved set for patroni[etcd3,psycopg3]==4.0.11 on Python 3.11 (pinned so
  # CI does not drift).
  cat >"$constraints" <<'EOF'
certifi==2026.10.18
charset-normalizer==3.5.2
click==8.5.1
dnspython==2.9.2
idna==3.20
prettytable==3.18.0
psutil==7.2.2
psycopg==3.3.9
psycopg-binary==3.3.9
py-consul==1.8.0
python-dateutil==4.0.0
python-etcd==0.4.5
PyYAML==6.0.3
requests==2.34.2
typing_extensions==4.16.0
tzdata==2026.6
urllib3==2.8.0
wcwidth==0.9.4
ydiff==1.4.2
EOF
  # Debian's interpreter, not a pyenv shim: the venv must not depend on $PATH.
  quiet /usr/bin/python3 -m venv --clear "$VENV"
  quiet env PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q --no-cache-dir \
    -c "$constraints" "patroni[etcd3,psycopg3]==$PATRONI_VERSION"
  rm -f "$constraints"
  [[ $("$VENV/bin/patroni" --version) == "patroni $PATRONI_VERSION" ]] || die "patroni install did not verify"
  log "  pip done in $((SECONDS - t0))s"
fi

# ---------------------------------------------------------------------------
# 3. Kafka / Kafka Connect / Debezium jars via Maven
# ---------------------------------------------------------------------------
pom_sum=$(sha256sum "$POM" | cut -d' ' -f1)
mvn_copy() { # profile dest marker-jar
  local profile=$1 dest=$2 marker=$3 tmp
  if [[ -f $dest/$marker && $(cat "$STAMPS/$profile.pom.sha256" 2>/dev/null) == "$pom_sum" ]]; then
    return 0
  fi
  log "maven: $profile -> $dest"; local t0=$SECONDS
  tmp="$dest.tmp.$$"
  rm -rf "$tmp"
  # quiet(): Maven 3.8's -q still prints ANSI resets on stdout
  quiet mvn -q -B -Dstyle.color=never -f "$POM" -P "$profile" \
    -Dlab.kafkaLibs="$tmp" -Dlab.pluginDir="$tmp" dependency:copy-dependencies
  # the debezium profile writes into $lab.pluginDir/<plugin-name>
  if [[ $profile == debezium ]]; then
    [[ -d $tmp/debezium-connector-postgres ]] || die "maven produced no $tmp/debezium-connector-postgres"
    mv "$tmp/debezium-connector-postgres" "$tmp.d"; rm -rf "$tmp"; mv "$tmp.d" "$tmp"
  fi
  [[ -f $tmp/$marker ]] || die "maven produced no $tmp/$marker"
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mv "$tmp" "$dest"
  echo "$pom_sum" >"$STAMPS/$profile.pom.sha256"
  log "  maven $profile done in $((SECONDS - t0))s"
}
mvn_copy kafka "$LAB_HOME/kafka-libs" "kafka_2.13-$KAFKA_VERSION.jar"
mvn_copy debezium "$LAB_HOME/connect-plugins/debezium-connector-postgres" \
  "debezium-connector-postgres-$DEBEZIUM_VERSION.jar"
mvn_copy jmx-exporter "$LAB_HOME/jmx-exporter" "jmx_prometheus_javaagent.jar"

# ---------------------------------------------------------------------------
# 4. Exporters built from source (Go module proxy)
# ---------------------------------------------------------------------------
# `go install mod@version` asks the proxy for the module's version list (to
# check for deprecation), which the proxy we can reach refuses; so download
# the exact version and build inside the module cache.
go_build() { # module version pkg-subdir binary-name
  local mod=$1 ver=$2 sub=$3 name=$4 json dir rev t0=$SECONDS
  json=$(go mod download -json "$mod@$ver" 2>/dev/null) || return 1
  dir=$(jq -r '.Dir // empty' <<<"$json")
  rev=$(jq -r '.Origin.Hash // "unknown"' <<<"$json")
  [[ -n $dir && -d $dir ]] || return 1
  (cd "$dir" && quiet go build -trimpath -o "$LAB_HOME/bin/$name.tmp" -ldflags "-s -w \
      -X github.com/prometheus/common/version.Version=${ver#v} \
      -X github.com/prometheus/common/version.Revision=$rev \
      -X github.com/prometheus/common/version.Branch=HEAD" "./$sub") || return 1
  # (errexit is off inside `if go_build`/`go_build || ...`: check explicitly)
  mv -f "$LAB_HOME/bin/$name.tmp" "$LAB_HOME/bin/$name" || return 1
  log "  go build $name ${ver} done in $((SECONDS - t0))s"
}
exporter_version() { "$LAB_HOME/bin/$1" --version 2>&1 | sed -n 's/.* version \([^ ]*\) .*/\1/p' | head -1; }

if [[ $(exporter_version pgbouncer_exporter 2>/dev/null) != "${PGBOUNCER_EXPORTER_VERSION#v}" ]] \
   || [[ ! -f $STAMPS/postgres_exporter.version ]] \
   || [[ $(exporter_version postgres_exporter 2>/dev/null) != "$(cat "$STAMPS/postgres_exporter.version")" ]]; then
  command -v go >/dev/null 2>&1 || die "go not found (the Go toolchain is part of this machine kind)"
  if [[ $(exporter_version pgbouncer_exporter 2>/dev/null) != "${PGBOUNCER_EXPORTER_VERSION#v}" ]]; then
    log "go: pgbouncer_exporter $PGBOUNCER_EXPORTER_VERSION"
    go_build github.com/prometheus-community/pgbouncer_exporter "$PGBOUNCER_EXPORTER_VERSION" . pgbouncer_exporter \
      || die "could not build pgbouncer_exporter $PGBOUNCER_EXPORTER_VERSION"
  fi
  built=
  for v in "${POSTGRES_EXPORTER_VERSIONS[@]}"; do
    if [[ $(exporter_version postgres_exporter 2>/dev/null) == "${v#v}" ]]; then built=${v#v}; break; fi
    log "go: postgres_exporter $v"
    if go_build github.com/prometheus-community/postgres_exporter "$v" cmd/postgres_exporter postgres_exporter; then
      built=${v#v}; break
    fi
    log "postgres_exporter $v not available from the module proxy; trying the next version"
  done
  [[ -n $built ]] || die "could not build postgres_exporter (${POSTGRES_EXPORTER_VERSIONS[*]})"
  echo "$built" >"$STAMPS/postgres_exporter.version"
fi

# VersityGW: `go install` at the tag works through the proxy here (about 3 min on 2 cores).
# The stamp records what was built; the binary's own module version is checked too.
vgw_built() { go version -m "$LAB_HOME/bin/versitygw" 2>/dev/null | grep -q "mod[[:space:]]*github.com/versity/versitygw[[:space:]]*$VERSITYGW_VERSION[[:space:]]"; }
if [[ $(cat "$STAMPS/versitygw.version" 2>/dev/null) != "$VERSITYGW_VERSION" ]] || ! vgw_built; then
  command -v go >/dev/null 2>&1 || die "go not found (the Go toolchain is part of this machine kind)"
  if ! vgw_built; then
    log "go: versitygw $VERSITYGW_VERSION"; t0=$SECONDS
    quiet env GOBIN="$LAB_HOME/bin" GOFLAGS= go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" \
      || die "could not build versitygw $VERSITYGW_VERSION"
    vgw_built || die "versitygw install did not verify"
    log "  go install versitygw done in $((SECONDS - t0))s"
  fi
  echo "$VERSITYGW_VERSION" >"$STAMPS/versitygw.version"
fi

# ---------------------------------------------------------------------------
# 5. Final check: nothing left running, then a version summary
# ---------------------------------------------------------------------------
first() { head -n1 | tr -s ' ' | cut -c1-70; }
promtool_caps=()
/usr/bin/promtool test rules --help >/dev/null 2>&1 && promtool_caps+=("test rules")
/usr/bin/promtool check config --help >/dev/null 2>&1 && promtool_caps+=("check config")
/usr/bin/promtool check rules --help >/dev/null 2>&1 && promtool_caps+=("check rules")

cat <<EOF
loopback lab installed under $LAB_HOME ($(($(date +%s) - START_TS))s)
  postgres          $("$PG_BIN/postgres" --version | first)  [$PG_BIN]
  etcd              $(/usr/bin/etcd --version 2>&1 | first)
  etcdctl           $(ETCDCTL_API=3 /usr/bin/etcdctl version 2>&1 | first)
  pgbouncer         $(/usr/sbin/pgbouncer --version 2>&1 | first)
  haproxy           $(/usr/sbin/haproxy -v 2>&1 | first)
  dnsmasq           $(/usr/sbin/dnsmasq --version 2>&1 | first)
  prometheus        $(/usr/bin/prometheus --version 2>&1 | first)
  promtool          $(/usr/bin/promtool --version 2>&1 | first) [${promtool_caps[*]}]
  alertmanager      $(/usr/bin/prometheus-alertmanager --version 2>&1 | first)
  amtool            $(/usr/bin/amtool --version 2>&1 | first)
  pg exporter (deb) $(/usr/bin/prometheus-postgres-exporter --version 2>&1 | first)
  postgres_exporter $("$LAB_HOME/bin/postgres_exporter" --version 2>&1 | first)
  pgbouncer_export. $("$LAB_HOME/bin/pgbouncer_exporter" --version 2>&1 | first)
  versitygw         $(go version -m "$LAB_HOME/bin/versitygw" | awk '$1 == "mod" { print $3 }')
  pgbackrest        $(/usr/bin/pgbackrest version | first)
  aws cli           $(/usr/bin/aws --version 2>&1 | first)
  patroni           $("$VENV/bin/patroni" --version)  [$VENV/bin]
  kafka             $KAFKA_VERSION ($(find "$LAB_HOME/kafka-libs" -name "*.jar" | wc -l) jars in $LAB_HOME/kafka-libs)
  debezium          $DEBEZIUM_VERSION (plugin.path=$LAB_HOME/connect-plugins)
  java              $(java -version 2>&1 | first)
EOF

# ---------------------------------------------------------------------------
# 6. AWS target checks (test/aws): checkov scans the synthesized aws stack,
#    and the instance boot script is linted with ShellCheck. Kept apart from the lab.
# ---------------------------------------------------------------------------
CHECKOV_VERSION=3.3.30
CHECKOV_VENV="$LAB_HOME/checkov-venv"
if ! pkg_installed shellcheck; then
  log "apt: installing shellcheck"
  quiet apt-get update -q
  quiet apt-get install -y -q --no-install-recommends shellcheck
fi
if [[ $("$CHECKOV_VENV/bin/checkov" --version 2>/dev/null || true) != "$CHECKOV_VERSION" ]]; then
  log "pip: checkov $CHECKOV_VERSION -> $CHECKOV_VENV"; t0=$SECONDS
  quiet /usr/bin/python3 -m venv --clear "$CHECKOV_VENV"
  quiet env PIP_DISABLE_PIP_VERSION_CHECK=1 "$CHECKOV_VENV/bin/pip" install -q --no-cache-dir \
    -c "$SCRIPT_DIR/checkov-constraints.txt" "checkov==$CHECKOV_VERSION"
  [[ $("$CHECKOV_VENV/bin/checkov" --version) == "$CHECKOV_VERSION" ]] || die "checkov install did not verify"
  log "  pip done in $((SECONDS - t0))s"
fi
echo "  checkov           $("$CHECKOV_VENV/bin/checkov" --version)  [$CHECKOV_VENV/bin]"
echo "  shellcheck        $(shellcheck --version | sed -n 's/^version: //p')"

# ---------------------------------------------------------------------------
# 7. ClickHouse engine for the CDC DDL checks (test/streaming): chDB embeds a
#    recent ClickHouse; no ClickHouse server package is available here.
# ---------------------------------------------------------------------------
CHDB_VERSION=4.4.0
CHDB_VENV="$LAB_HOME/chdb-venv"
if [[ $("$CHDB_VENV/bin/python" -c 'import chdb; print(chdb.__version__)' 2>/dev/null || true) != "$CHDB_VERSION" ]]; then
  log "pip: chdb $CHDB_VERSION -> $CHDB_VENV"; t0=$SECONDS
  quiet /usr/bin/python3 -m venv --clear "$CHDB_VENV"
  quiet env PIP_DISABLE_PIP_VERSION_CHECK=1 "$CHDB_VENV/bin/pip" install -q --no-cache-dir \
    "chdb==$CHDB_VERSION" chdb-core==26.9.0 numpy==2.4.6 pandas==3.1.1 pyarrow==26.0.1 python-dateutil==4.0.0 tzdata==2026.6
  log "  pip done in $((SECONDS - t0))s"
fi
echo "  chdb              $("$CHDB_VENV/bin/python" -c 'import chdb; print(chdb.__version__, "engine", chdb.engine_version)')  [$CHDB_VENV]"

# ---------------------------------------------------------------------------
# 8. Terraform on the aws stack (test/aws/terraform.integration.test.ts): moto stands in for
#    the AWS APIs. Terraform and the hashicorp/aws plugin mirror cannot come from
#    a registry here: they are part of the machine, and the test fails in CI
#    without them (see README, "AWS").
# ---------------------------------------------------------------------------
MOTO_VERSION=5.2.1
MOTO_VENV="$LAB_HOME/moto-venv"
if [[ $("$MOTO_VENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null || true) != "$MOTO_VERSION" ]] \
   || [[ ! -x $MOTO_VENV/bin/moto_server ]]; then
  log "pip: moto[server] $MOTO_VERSION -> $MOTO_VENV"; t0=$SECONDS
  quiet /usr/bin/python3 -m venv --clear "$MOTO_VENV"
  quiet env PIP_DISABLE_PIP_VERSION_CHECK=1 "$MOTO_VENV/bin/pip" install -q --no-cache-dir \
    -c "$SCRIPT_DIR/moto-constraints.txt" "moto[server]==$MOTO_VERSION"
  log "  pip done in $((SECONDS - t0))s"
fi
echo "  moto              $("$MOTO_VENV/bin/python" -c 'import moto; print(moto.__version__)')  [$MOTO_VENV/bin]"
echo "  terraform         $(terraform version 2>/dev/null | head -n1 || echo 'not found: test/aws/terraform.integration.test.ts will fail in CI')"
