#!/usr/bin/env bash
# The demo: bring the local environment up, then run the whole pipeline on analyzers-fixture/ and run one
# of the images it pushed on its sample job, exactly as the engine would.
set -euo pipefail
cd "$(dirname "$0")/.."

./bin/neurons env up
echo
./bin/neurons validate --repo analyzers-fixture
echo
output="${NEURONS_DEMO_OUTPUT:-$PWD/.neurons-out/catalogs}"
started=$(date +%s)
./bin/neurons pipeline --repo analyzers-fixture --output "$output"
echo "pipeline took $(( $(date +%s) - started )) s"

state="${NEURONS_ENV_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/neurons/env}/state.json"
registry=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).registry.host)' "$state")
image="$registry/neurons/hashcalc_sha256:1"
job=$(mktemp -d)
cp -r analyzers-fixture/analyzers/HashCalc/tests/sha256-file/. "$job/"
# Pulled first, as a Cortex host would: the image was assembled in the registry, and an older copy may be local.
docker pull -q "$image" >/dev/null
docker run --rm --network host -v "$job:/job" "$image" /job >/dev/null
echo
echo "Ran $image on its sample job: $job/output/output.json"
node -e 'const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log("  success:", o.success, "summary:", JSON.stringify(o.summary));' "$job/output/output.json"
echo
echo "Images:   https://$registry (credentials and CA in $state)"
echo "Catalogs: $output"
ls -1 "$output"
