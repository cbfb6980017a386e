#!/usr/bin/env bash
# Start-up cost of the demos against a plain Node script with the same shebang, measured with
# hyperfine -N (no shell in between). counter.cgi runs in its steady state: the request brings the
# cookie of a live session, so every run locks, reads, writes (fsync + rename + fsync of the folder)
# and unlocks it. Goal: counter.cgi within 20 % of the plain script. Run `npm run build` first.
# usage: bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-100}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

node_bin="$(head -1 dist/cgi-bin/hello.cgi | cut -c3-)"
printf '#!%s\nrequire("node:fs").writeSync(1, "Status: 200 OK\\nContent-Type: text/plain\\n\\nhi\\n");\n' "$node_bin" > "$work/plain.cgi"
chmod +x "$work/plain.cgi"
echo '{ "type": "commonjs" }' > "$work/package.json"

export CGI_SESSION_DIR="$work/sessions" REQUEST_METHOD=GET QUERY_STRING= GATEWAY_INTERFACE=CGI/1.1
dist/cgi-bin/counter.cgi > /dev/null
export HTTP_COOKIE="sid=$(ls "$CGI_SESSION_DIR" | sed 's/\.json$//')"

hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/result.json" \
  "$work/plain.cgi" dist/cgi-bin/hello.cgi dist/cgi-bin/counter.cgi
node -e '
const results = require(process.argv[1]).results;
const base = results[0];
for (const r of results.slice(1)) {
  console.log(`${r.command}: median ${(r.median / base.median).toFixed(3)}×, min ${(r.min / base.min).toFixed(3)}× the plain script`);
}' "$work/result.json"
echo
echo "interleaved (one run of each in turn, $runs rounds):"
node bench/interleaved.mjs "$runs" "$work/plain.cgi" dist/cgi-bin/hello.cgi dist/cgi-bin/counter.cgi
echo "session after the runs: $(cat "$CGI_SESSION_DIR"/*.json)"
