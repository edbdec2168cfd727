#!/bin/bash
# Boot script of every platform machine on EC2 (Amazon Linux 2023), run once
# per instance by cloud-init after it wrote machine.env, nodes/<node>.env and
# the templates under $ROOT/templates/<node> (see user-data.ts). It is the
# same for every machine: what differs is data in the env files. Safe to
# re-run by hand.
#
#   1. install and start Docker;
#   2. format the machine's EBS data volume if it is blank, and mount it (fstab, by UUID);
#   3. render templates: placeholders become secrets (Secrets Manager) and
#      generated IDs (SSM Parameter Store), fetched now, never stored in user data;
#   4. fetch the platform CA's certificate (AWS Private CA) when the platform has one;
#   5. per node, in the order of NODES (services, then one-shot jobs): make its
#      TLS key here and have its certificate issued by the CA (the key never
#      leaves the instance); wait
#      until the ports it uses on the nodes it depends on accept TCP, create
#      its container through the Docker Engine API (exec-form health checks,
#      which `docker run --health-cmd` cannot express) and start it. A node
#      that fails is reported and the next one still starts; the script then
#      exits non-zero.
set -euo pipefail

# Overridable only so that tests can run the script off-instance (test/aws/boot-script.test.ts).
ROOT=${DP_ROOT:-/opt/dataplatform}
ENV_DIR=${DP_ENV_DIR:-/etc/dataplatform}
# shellcheck source=/dev/null
source "$ENV_DIR/machine.env"
: "${MACHINE:?}" "${REGION:?}" "${DATA_DIR:?}" "${NODES:?}"
NODE=$MACHINE

log() { printf '[dataplatform %s] %s\n' "$NODE" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# retry ATTEMPTS DELAY CMD...: for AWS APIs and registries that are briefly unreachable at boot.
retry() {
  local attempts=$1 delay=$2 n=1
  shift 2
  until "$@"; do
    ((n < attempts)) || return 1
    log "retrying in ${delay}s ($n/$attempts): $1"
    sleep "$delay"
    n=$((n + 1))
  done
}

install_docker() {
  command -v docker >/dev/null || retry 10 15 dnf install -y -q docker
  systemctl enable --now docker
}

mount_data_volume() {
  [[ -n ${DATA_DEVICE:-} ]] || return 0
  local waited=0 rc=0 uuid
  # Terraform attaches the volume after the instance exists: wait for it.
  until [[ -b $DATA_DEVICE ]]; do
    ((waited < 900)) || die "data volume $DATA_DEVICE not attached after ${waited}s"
    sleep 5
    waited=$((waited + 5))
  done
  blkid -p "$DATA_DEVICE" >/dev/null 2>&1 || rc=$?
  if ((rc == 2)); then
    log "formatting blank data volume $DATA_DEVICE"
    mkfs.xfs -q -L dp-data "$DATA_DEVICE"
  elif ((rc != 0)); then
    die "blkid failed on $DATA_DEVICE (rc=$rc): refusing to format a volume that may hold data"
  fi
  uuid=$(blkid -s UUID -o value "$DATA_DEVICE")
  mkdir -p "$DATA_DIR"
  grep -q "UUID=$uuid " /etc/fstab ||
    echo "UUID=$uuid $DATA_DIR xfs defaults,nofail,x-systemd.device-timeout=5min 0 2" >>/etc/fstab
  mountpoint -q "$DATA_DIR" || mount "$DATA_DIR"
}

# Values are alphanumeric (secrets) or base64url (IDs), so they are safe in a
# sed replacement; anything else is refused rather than half-substituted.
substitution() { # kind name value
  [[ $3 =~ ^[A-Za-z0-9_-]+$ ]] || die "$1 '$2' has characters outside [A-Za-z0-9_-]: refusing to render it"
  printf 's/{{%s:%s}}/%s/g\n' "$1" "$2" "$3"
}

render_templates() {
  local script entry name ref value
  script=$(mktemp)
  chmod 600 "$script"
  for entry in ${SECRETS:-}; do
    name=${entry%%=*} ref=${entry#*=}
    value=$(retry 10 15 aws secretsmanager get-secret-value --region "$REGION" --secret-id "$ref" \
      --query SecretString --output text) || die "cannot read secret $ref"
    substitution secret "$name" "$value" >>"$script"
  done
  for entry in ${IDS:-}; do
    name=${entry%%=*} ref=${entry#*=}
    value=$(retry 10 15 aws ssm get-parameter --region "$REGION" --name "$ref" \
      --query Parameter.Value --output text) || die "cannot read parameter $ref"
    substitution id "$name" "$value" >>"$script"
  done
  rm -rf "$ROOT/rendered"
  cp -a "$ROOT/templates" "$ROOT/rendered"
  chmod 700 "$ROOT/rendered"
  find "$ROOT/rendered" -type f -exec sed -i -f "$script" {} +
  rm -f "$script"
  if grep -rqE '\{\{(secret|id):' "$ROOT/rendered"; then die "a placeholder was left unresolved"; fi
}

# The CA's certificate, once per boot: every node trusts it (CA_PATH).
fetch_ca_certificate() {
  [[ -n ${CA_PARAMETER:-} ]] || return 0
  CA_ARN=$(retry 10 15 aws ssm get-parameter --region "$REGION" --name "$CA_PARAMETER" \
    --query Parameter.Value --output text) || die "cannot read parameter $CA_PARAMETER"
  retry 10 15 aws acm-pca get-certificate-authority-certificate --region "$REGION" \
    --certificate-authority-arn "$CA_ARN" --query Certificate --output text >"$ROOT/rendered/ca.crt" ||
    die "cannot read the certificate of CA $CA_ARN"
}

# The node's CA file, and its own key and certificate if it serves TLS (CERT_PATH):
# a fresh key on every boot, signed by the CA with the node's names as SANs.
issue_certificate() {
  [[ -n ${CA_PARAMETER:-} ]] || return 0
  local files=$ROOT/rendered/$NODE/files work arn
  mkdir -p "$(dirname "$files$CA_PATH")"
  cp "$ROOT/rendered/ca.crt" "$files$CA_PATH"
  [[ -n ${CERT_PATH:-} ]] || return 0
  work=$(mktemp -d)
  mkdir -p "$(dirname "$files$CERT_PATH")" "$(dirname "$files$KEY_PATH")"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$NODE" \
    -addext "subjectAltName=$CERT_SAN" -keyout "$files$KEY_PATH" -out "$work/csr.pem" 2>/dev/null ||
    die "openssl could not make a key and request"
  # Readable by the container's one server, whatever user its image runs it as (as on the Docker target).
  chmod 644 "$files$KEY_PATH"
  arn=$(retry 10 15 aws acm-pca issue-certificate --region "$REGION" --certificate-authority-arn "$CA_ARN" \
    --csr "fileb://$work/csr.pem" --signing-algorithm SHA256WITHECDSA \
    --template-arn "${CA_ARN%%:acm-pca:*}:acm-pca:::template/EndEntityCertificate/V1" \
    --validity "Value=$CERT_DAYS,Type=DAYS" --query CertificateArn --output text) ||
    die "CA $CA_ARN did not issue a certificate"
  retry 10 15 aws acm-pca wait certificate-issued --region "$REGION" --certificate-authority-arn "$CA_ARN" \
    --certificate-arn "$arn" || die "certificate $arn was not issued"
  retry 10 15 aws acm-pca get-certificate --region "$REGION" --certificate-authority-arn "$CA_ARN" \
    --certificate-arn "$arn" --query Certificate --output text >"$files$CERT_PATH" ||
    die "cannot read certificate $arn"
  rm -rf "$work"
  log "certificate issued for $CERT_SAN"
}

wait_for_dependencies() {
  local target deadline=$((SECONDS + 1200))
  for target in ${WAIT_FOR:-}; do
    until timeout 3 bash -c "exec 3<>/dev/tcp/${target%:*}/${target##*:}" 2>/dev/null; do
      if ((SECONDS > deadline)); then
        log "$target still unreachable: starting anyway, the container retries on its own"
        return 0
      fi
      sleep 5
    done
    log "$target is up"
  done
}

create_container() {
  local volume
  if [[ -n ${DOCKERFILE:-} ]]; then
    # The Dockerfile copies nothing in: its folder is context enough.
    docker image inspect "$IMAGE" >/dev/null 2>&1 ||
      retry 20 15 docker build -q -t "$IMAGE" -f "$DOCKERFILE" "$(dirname "$DOCKERFILE")" >/dev/null
  else
    retry 20 15 docker pull -q "$IMAGE" >/dev/null
  fi
  for volume in ${VOLUMES:-}; do
    mkdir -p "$DATA_DIR/$NODE/$volume"
    # A named volume bound to the data disk: like Docker's own volumes, it is
    # seeded from the image on first use (owner and mode included).
    docker volume inspect "$NODE-$volume" >/dev/null 2>&1 ||
      docker volume create --driver local --opt type=none --opt o=bind \
        --opt device="$DATA_DIR/$NODE/$volume" "$NODE-$volume" >/dev/null
  done
  docker rm -f "$NODE" >/dev/null 2>&1 || true
  curl -sS --fail-with-body --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' \
    --data-binary "@$ROOT/rendered/$NODE/container.json" "http://localhost/v1.41/containers/create?name=$NODE" >/dev/null
}

run() {
  if [[ ${ONE_SHOT:-0} == 1 ]]; then
    local attempt code
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      docker start "$NODE" >/dev/null
      code=$(docker wait "$NODE")
      if [[ $code == 0 ]]; then log "job finished"; return 0; fi
      log "job exited with $code (attempt $attempt/10)"
      sleep 30
    done
    die "job failed 10 times: see 'docker logs $NODE'"
  fi
  docker start "$NODE" >/dev/null
  log "started $IMAGE"
}

# One node, in a background subshell so that `set -e` holds inside it and a
# failure ends only this node.
start_node() {
  NODE=$1
  # shellcheck source=/dev/null
  source "$ENV_DIR/nodes/$NODE.env"
  : "${IMAGE:?}"
  issue_certificate
  wait_for_dependencies
  create_container
  run
}

install_docker
mount_data_volume
render_templates
fetch_ca_certificate
failed=()
for node in $NODES; do
  start_node "$node" &
  wait $! || failed+=("$node")
done
((${#failed[@]} == 0)) || die "these nodes did not start: ${failed[*]}"
