#!/usr/bin/env bash
# Copy the Socket.IO browser client from the npm package (pinned in package.json / package-lock.json)
# into vendor/, with its license, so the widget loads nothing from a CDN at run time.
# Run after changing the socket.io-client version:  cd webchat && npm ci && npm run vendor
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/socket.io-client
[ -f "$src/dist/socket.io.min.js" ] || { echo "vendor.sh: run 'npm ci' in webchat/ first" >&2; exit 1; }
version=$(node -p "require('./$src/package.json').version")
mkdir -p vendor
cp "$src/dist/socket.io.min.js" "$src/dist/socket.io.min.js.map" vendor/
cp "$src/LICENSE" vendor/socket.io-client.LICENSE
cat > vendor/README.md <<MD
# Vendored libraries

| file | package | version | license |
|---|---|---|---|
| \`socket.io.min.js\` (+ \`.map\`) | [socket.io-client](https://www.npmjs.com/package/socket.io-client) \`dist/\` | $version | MIT, see \`socket.io-client.LICENSE\` |

Copied unchanged by \`webchat/scripts/vendor.sh\` (\`npm run vendor\`) from the npm package pinned in
\`webchat/package-lock.json\`. Do not edit by hand; tests/webchat checks the copy matches the installed package.
The bundle also contains engine.io-client, socket.io-parser, engine.io-parser and @socket.io/component-emitter,
all MIT, by the same authors.
MD
echo "vendored socket.io-client $version"
