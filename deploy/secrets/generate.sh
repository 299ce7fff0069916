#!/bin/sh
# Writes random secret values into deploy/secrets/<name> for compose.yaml.
# Existing files are kept (re-running is safe); pass --force to regenerate all.
# The generated files are gitignored (see deploy/secrets/.gitignore).
set -eu

cd "$(dirname "$0")"
umask 077

FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

APPS="gateway policy talent disbursement matching"

rand_b64_32() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
rand_token() { head -c 48 /dev/urandom | base64 | tr -d '\n=+/' | cut -c1-48; }

# write NAME VALUE (keeps an existing file unless --force)
write() {
  if [ -s "$1" ] && [ "$FORCE" -eq 0 ]; then
    echo "keep   $1"
    return
  fi
  rm -f "$1"
  printf '%s' "$2" > "$1"
  echo "write  $1"
}

write postgres_password "$(rand_token)"
write pii_key "$(rand_b64_32)"
write blind_index_key "$(rand_b64_32)"
write internal_token_secret "$(rand_token)"

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
chmod 0444 postgres_password pii_key blind_index_key internal_token_secret kry_*_database_url
chmod 0700 .
