# shellcheck shell=bash
# Generated secrets under .local/secrets (directory 700, files 600). Nothing secret is ever stored in the repo.

_new_secret_value() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# secret_get NAME: prints the secret, generating it on first use.
secret_get() {
  local file="$SECRETS_DIR/$1"
  if [[ ! -s "$file" ]]; then
    ( umask 077; _new_secret_value > "$file.tmp" && mv "$file.tmp" "$file" )
  fi
  chmod 600 "$file"
  cat "$file"
}

# secret_renew NAME: replaces the secret with a fresh one and prints it.
secret_renew() {
  rm -f "$SECRETS_DIR/$1"
  secret_get "$1"
}

# secret_set NAME VALUE: stores a given secret (mode 600).
secret_set() {
  ( umask 077; printf '%s' "$2" > "$SECRETS_DIR/$1.tmp" && mv "$SECRETS_DIR/$1.tmp" "$SECRETS_DIR/$1" )
}
