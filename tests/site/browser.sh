#!/usr/bin/env bash
# Open the built site's home page and its article in Debian's headless Chromium: every
# image and stylesheet loads (Chromium reports any resource that fails), the article shows
# its plots, and no link inside the site points at a file that is not there.
#   bash tests/site/browser.sh build/site
set -euo pipefail
site=$(cd "$1" && pwd)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
fail() { echo "site: $*" >&2; exit 1; }

# open PAGE: prints the DOM after loading; Chromium's log (console and load errors) in $profile/log
open_page() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --user-data-dir="$profile/user" \
    --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom "file://$site/$1" 2>"$profile/log"
}

for page in index.html articles/chapter6.html; do
  [ -f "$site/$page" ] || fail "$page was not built"
  dom=$(open_page "$page") || fail "Chromium could not open $page: $(tail -3 "$profile/log")"
  if grep -E "Failed to load resource|ERR_FILE_NOT_FOUND" "$profile/log"; then fail "$page: a resource did not load"; fi
  dir=$(dirname "$site/$page")
  # internal links and images: relative href/src (no scheme, no leading #), without their #fragment
  refs=$(grep -oE '(href|src)="[^"]*"' <<<"$dom" | sed -E 's/^(href|src)="//; s/"$//' | grep -vE '^(#|[a-z]+:)' |
    sed 's/#.*//' | sort -u)
  for ref in $refs; do
    [ -e "$dir/$ref" ] || fail "$page links to $ref, which is not in the site"
  done
  images=$(grep -cE '<img [^>]*src="' <<<"$dom" || true)
  echo "$page: $(wc -w <<<"$refs") internal links and images, all present; $images images; nothing failed to load"
  if [ "$page" = articles/chapter6.html ]; then
    plots=$(grep -cE '<img [^>]*src="chapter6_files/figure-html/[^"]+\.png' <<<"$dom" || true)
    [ "$plots" -ge 2 ] || fail "the article shows $plots plots, expected its 2 convergence plots"
  fi
done
