#!/usr/bin/env bash
# The Debian packages the course needs besides Python, installed when this
# machine allows it: as root, or with password-less sudo, with apt. Run by
# `make setup` (so by `make demo` and `make test`) every time: it is quiet
# when everything is already there. Where it cannot install, it says in one
# paragraph what is missing, how to install it, and what will not work.
set -u

PACKAGES=(bubblewrap chromium postgresql)
declare -A WITHOUT=(
  [bubblewrap]="autograding refuses to run student code (BACKPROP_SANDBOX=off runs it unconfined, and then nothing protects a grade), and the hostile-class tests are skipped"
  [chromium]="the browser test of the class report is skipped"
  [postgresql]="the test of a PostgreSQL gradebook is skipped"
)

present() {
  case "$1" in
    bubblewrap) command -v bwrap ;;
    chromium) command -v chromium || command -v chromium-browser ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb ;;
  esac >/dev/null 2>&1
}

missing_packages() {
  local package
  for package in "${PACKAGES[@]}"; do present "$package" || echo "$package"; done
}

mapfile -t missing < <(missing_packages)
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    as_root=(none)
  fi
  if [ "${as_root[0]:-}" != none ]; then
    echo "Installing Debian packages the course needs: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq >/dev/null \
      && "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null \
      || echo "apt-get could not install all of: ${missing[*]}"
    mapfile -t missing < <(missing_packages)
    [ ${#missing[@]} -eq 0 ] && exit 0
  fi
fi

{
  echo
  echo "NOTE: the course could not install these Debian packages: ${missing[*]}."
  echo "Install them with:  sudo apt-get install ${missing[*]}"
  for package in "${missing[@]}"; do
    echo "  Without $package, ${WITHOUT[$package]}."
  done
  echo
} >&2
exit 0
