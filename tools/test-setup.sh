#!/usr/bin/env bash
# Installs what the tests need from Debian when it is missing: chromium and the Noto CJK fonts (so
# Chinese renders) for the browser tests, faketime for `make test-shifted`. Needs root and apt;
# elsewhere it says what is missing and the browser tests skip with that reason.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v faketime >/dev/null 2>&1 || need+=(faketime)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto 2>/dev/null | grep -qi cjk || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} for the tests ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || echo "warning: could not install ${need[*]}; browser tests will be skipped"
else
  echo "note: ${need[*]} missing and cannot be installed here (needs root and apt); browser tests will be skipped"
fi
exit 0
