#!/bin/sh
# Writes random secret values into deploy/secrets/<name> for compose.yaml: every secret of every app.
# Existing files are kept (re-running is safe, and adds secrets that a newer compose.yaml needs).
#
#   generate.sh                   create missing files, keep existing ones
#   generate.sh --rotate-pii-key  new pii_key; the current one is appended to pii_retired_keys (still decrypts)
#   generate.sh --drop-retired-pii-keys   empties pii_retired_keys (after every app's reencrypt)
#   generate.sh --force           regenerate everything (makes existing PII data unreadable!)
#
# The generated files are gitignored (see deploy/secrets/.gitignore). See docs/operations.md "Secrets".
set -eu

cd "$(dirname "$0")"
umask 077

FORCE=0
ROTATE_PII=0
DROP_RETIRED=0
case "${1:-}" in
  --force) FORCE=1 ;;
  --rotate-pii-key) ROTATE_PII=1 ;;
  --drop-retired-pii-keys) DROP_RETIRED=1 ;;
  "") ;;
  *) echo "usage: $0 [--force | --rotate-pii-key | --drop-retired-pii-keys]" >&2; exit 2 ;;
esac

APPS="gateway policy talent disbursement matching"

rand_b64_32() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
rand_token() { head -c 48 /dev/urandom | base64 | tr -d '\n=+/' | cut -c1-48; }

# replace NAME VALUE (the files are read-only, hence rm first)
replace() {
  rm -f "$1"
  printf '%s' "$2" > "$1"
}

# write NAME VALUE (keeps an existing file unless --force)
write() {
  # (an existing empty file is kept when the value is empty too: pii_retired_keys)
  if { [ -s "$1" ] || { [ -e "$1" ] && [ -z "$2" ]; }; } && [ "$FORCE" -eq 0 ]; then
    echo "keep   $1"
    return
  fi
  replace "$1" "$2"
  echo "write  $1"
}

if [ "$ROTATE_PII" -eq 1 ]; then
  [ -s pii_key ] || { echo "no pii_key to rotate; run $0 first" >&2; exit 1; }
  OLD="$(cat pii_key)"
  RETIRED="$(cat pii_retired_keys 2>/dev/null || true)"
  replace pii_retired_keys "$(printf '%s\n%s' "$RETIRED" "$OLD" | sed '/^$/d')"
  replace pii_key "$(rand_b64_32)"
  chmod 0444 pii_key pii_retired_keys
  echo "rotate pii_key (the previous key is now in pii_retired_keys)"
  echo "next: docker compose up -d, then run 'reencrypt' in each app (docs/operations.md)"
  exit 0
fi

if [ "$DROP_RETIRED" -eq 1 ]; then
  replace pii_retired_keys ""
  chmod 0444 pii_retired_keys
  echo "empty  pii_retired_keys"
  exit 0
fi

write postgres_password "$(rand_token)"
# Shared by all apps: internal tokens verify and blind indexes match across services.
write pii_key "$(rand_b64_32)"
write blind_index_key "$(rand_b64_32)"
write internal_token_secret "$(rand_token)"
# Empty until a key rotation (see --rotate-pii-key).
write pii_retired_keys ""
# gateway: the 昆e服 code tag key and the 一企来办 / 苏商通 secret (shared with the portal, and its emulator).
write service_code_secret "$(rand_token)"
write yiqilaiban_secret "$(rand_token)"
# gateway: the client secret registered with the personal identity service (统一身份认证; shared with its emulator).
write identity_client_secret "$(rand_token)"
# gateway: the seed of the key its session tokens are signed with (one for every replica).
write session_signing_key "$(rand_b64_32)"
# svc-disbursement: the bank's callback signing secret (shared with the bank, and its emulator).
write bank_callback_secret "$(rand_token)"

PG_PASSWORD="$(cat postgres_password)"
for app in $APPS; do
  # URL-safe password (rand_token strips + / =), so no escaping is needed.
  write "kry_${app}_database_url" \
    "postgresql+asyncpg://kunruyi:${PG_PASSWORD}@postgres:5432/kunruyi_${app}"
done

# compose profile observability: Grafana's admin password.
write grafana_admin_password "$(rand_token)"
chmod 0444 grafana_admin_password

# Secrets are bind-mounted into the containers, which keep the host file mode.
# The apps run as uid 10001 and postgres as uid 70, so the files must be
# world-readable; the directory itself stays private to the owner.
chmod 0444 postgres_password pii_key blind_index_key internal_token_secret pii_retired_keys \
  service_code_secret yiqilaiban_secret identity_client_secret session_signing_key bank_callback_secret \
  kry_*_database_url
chmod 0700 .
