#!/usr/bin/env bash
# Regenerates the README's screenshots in docs/screenshots/ (make screenshots):
# runs the browser tests that photograph the main pages, in headless Chromium
# against a real PostgreSQL and the embedded NATS, and copies the pages listed
# below under stable names. Needs what the tests need (README, "Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/screenshots
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# test/screenshot  ->  name in docs/screenshots (without .png)
shots=(
  "TestReviewInTheBrowser/02-wang-new-draft-form       officer-new-draft"
  "TestReviewInTheBrowser/04-li-compliance-queue       head-queue"
  "TestReviewInTheBrowser/05-li-compliance-draft       head-draft"
  "TestReviewInTheBrowser/09-li-revision-2-diff        head-revision-diff"
  "TestReviewInTheBrowser/13-qian-draft-audit          auditor-draft-trail"
  "TestPublicColumnInTheBrowser/01-visitor-column-1280 public-column"
  "TestPublicColumnInTheBrowser/02-visitor-search-1280 public-search"
  "TestPublicColumnInTheBrowser/06-visitor-item-390    public-item-phone"
  "TestApplicationInTheBrowser/02-zheng-application-case case-page"
  "TestReportsInTheBrowser/01-admin-annual-1280        annual-report"
  "TestReportsInTheBrowser/03-admin-assessment-1280    assessment"
  "TestSiteSettingsInTheBrowser/02-admin-site-settings-1280 admin-site-settings"
  "TestPhoneWidth/01-wang-menu-390                     officer-menu-phone"
)
tests=$(printf '%s\n' "${shots[@]}" | awk -F/ '{print $1}' | sort -u | paste -sd'|')
echo "photographing the pages ($tests)"
SANSHEN_SCREENSHOTS="$tmp" go test -count=1 -timeout 15m -run "^($tests)\$" ./services/api/web

mkdir -p "$out"
rm -f "$out"/*.png
for s in "${shots[@]}"; do
  read -r from to <<<"$s"
  if [ ! -f "$tmp/$from.png" ]; then
    echo "screenshot $from.png was not taken: has the test renamed it? (listed in scripts/screenshots.sh)" >&2
    exit 1
  fi
  cp "$tmp/$from.png" "$out/$to.png"
done
echo "$(ls "$out" | wc -l) screenshots in $out"
