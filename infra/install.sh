#!/usr/bin/env bash
# Installs everything the project needs on a Debian machine, as root (or with sudo): system packages,
# the Python venv with the project and its test extras, and the Kafka broker jars. Idempotent and quiet
# when everything is already there, so `make test` and `make demo` can always call it first. Runs with
# CI=true and no stdin: nothing here prompts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf 'install: %s\n' "$*"; }

quietly() {  # quietly <log file> <command...>: keep the console short; show the log only on failure
  local out=$1; shift
  if ! "$@" >"$out" 2>&1; then tail -n 60 "$out" >&2; log "failed: $* (full log: $out)"; exit 1; fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else log "need root to run: $*"; exit 1
  fi
}

sha() { sha256sum "$@" | sha256sum | cut -c1-16; }

# --- system packages: only what is missing, and apt-get update at most once -----------------------------
missing=()
need() {  # need <command> <debian package>
  command -v "$1" >/dev/null 2>&1 || missing+=("$2")
}
need redis-server redis-server
need espeak-ng espeak-ng
need ffmpeg ffmpeg
need sox sox
need java default-jre-headless   # Kafka 4 needs Java 17+, which is Debian 12's default
need mvn maven
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${java_major%%.*}" -lt 17 ] 2>/dev/null; then
  log "Java ${java_major} is too old for Kafka 4 (needs 17+)"; exit 1
fi

# --- Python venv: reinstall only when pyproject.toml (or the checkout's path) changed --------------------
stamp=.venv/.scribestream-install
want="$(sha pyproject.toml) ${REPO_ROOT}"
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "pip install -e '.[test]'"
  quietly .venv/pip-install.log .venv/bin/python -m pip install --no-input -e '.[test]'
  printf '%s\n' "$want" > "$stamp"
fi

# --- Kafka jars from Maven Central into infra/kafka/lib: again only when pom.xml changed -----------------
lib=infra/kafka/lib
want_pom=$(sha infra/kafka/pom.xml)
if [ "$(cat "$lib/.pom-sha" 2>/dev/null)" != "$want_pom" ] || ! ls "$lib"/kafka_2.13-*.jar >/dev/null 2>&1; then
  log "resolving Kafka jars with Maven"
  # Resolve outside the tree (nothing untracked is left behind on failure), then swap in whole.
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/scribestream-kafka-lib.XXXXXX")
  quietly "$tmp.log" mvn -B -f infra/kafka/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime
  chmod 755 "$tmp"
  rm -rf "$lib" "$tmp.log"
  mv "$tmp" "$lib"
  printf '%s\n' "$want_pom" > "$lib/.pom-sha"
fi
# --- HAPI FHIR JPA server (R4, in-memory H2) for the EHR sink's integration tests: launcher + jars ----------
fhir_lib=infra/fhir/lib
want_fhir=$(sha infra/fhir/pom.xml infra/fhir/src/main/java/dev/scribestream/fhir/*.java)
if [ "$(cat "$fhir_lib/.src-sha" 2>/dev/null)" != "$want_fhir" ] || [ ! -f "$fhir_lib/scribestream-fhir-server.jar" ]; then
  log "building the HAPI FHIR test server with Maven"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/scribestream-fhir-lib.XXXXXX")
  quietly "$tmp.log" mvn -B -q -f infra/fhir/pom.xml package -Dfhir.lib="$tmp"
  chmod 755 "$tmp"
  rm -rf "$fhir_lib" "$tmp.log" infra/fhir/target
  mv "$tmp" "$fhir_lib"
  # One start that records a class-data-sharing archive (same JVM options as
  # services/ehr_sink/fhir_test_server.py): later starts of the test server skip most class loading.
  log "recording the HAPI FHIR server's class-data-sharing archive"
  java -Xms256m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Xshare:auto -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -XX:ArchiveClassesAtExit="$REPO_ROOT/$fhir_lib/hapi-cds.jsa" \
    -cp "$REPO_ROOT/$fhir_lib/*" dev.scribestream.fhir.FhirTestServer 0 --exit-when-ready \
    >"${TMPDIR:-/tmp}/scribestream-fhir-cds.log" 2>&1 || log "no class-data-sharing archive (optional; slower start)"
  printf '%s\n' "$want_fhir" > "$fhir_lib/.src-sha"
fi
# --- kustomize, to render deploy/k8s in the manifest tests: built from the Go module proxy ------------
gobin="$(go env GOPATH 2>/dev/null)/bin"
if command -v go >/dev/null && ! command -v kustomize >/dev/null && [ ! -x "$gobin/kustomize" ]; then
  log "go install kustomize"
  quietly "${TMPDIR:-/tmp}/scribestream-kustomize.log" env GOFLAGS=-mod=mod go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0
fi
log "ok"
