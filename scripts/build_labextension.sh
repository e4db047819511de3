#!/usr/bin/env bash
# Build the JupyterLab side panel from labextension/ (TypeScript) into fpgalab/labextension (what the wheel
# ships) and put that build where the virtual environment's JupyterLab finds it.
#   usage: scripts/build_labextension.sh            build and install the panel
#          scripts/build_labextension.sh ui-tests   install the browser tests' npm packages (Galata, Playwright)
# Needs Node.js >= 20.19 and npm (the rspack bundler of @jupyter/builder requires them); jlpm (yarn) comes
# with the jupyter-builder Python package installed in the virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-.venv}
export PATH="$ROOT/$VENV/bin:$PATH"

if ! command -v node >/dev/null 2>&1; then
  echo "build_labextension: Node.js is missing; the side panel needs Node.js >= 20.19 to build" >&2
  exit 1
fi
node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`build_labextension: Node.js ${process.versions.node} is too old; the side panel needs >= 20.19`);
    process.exit(1);
  }'
if ! command -v jlpm >/dev/null 2>&1; then
  echo "build_labextension: jlpm is missing; run 'make setup' (it installs jupyter-builder into $VENV)" >&2
  exit 1
fi
# yarn (jlpm) is node: give it the system's CA bundle as npm gets it
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

install() {  # jlpm install with the committed yarn.lock; a retry for a flaky registry
  (cd "$1" && { jlpm install || { echo "jlpm install failed in $1; retrying once" >&2; sleep 5; jlpm install; }; })
}

if [ "${1:-}" = "ui-tests" ]; then
  install labextension/ui-tests
  exit 0
fi

install labextension
(cd labextension && jlpm build:prod)
test -f fpgalab/labextension/package.json

# An editable install copies the build into the environment once; copy this one there.
dest="$VENV/share/jupyter/labextensions/fpgalab"
rm -rf "$dest"
mkdir -p "$dest"
cp -R fpgalab/labextension/. "$dest/"
cp labextension/install.json "$dest/install.json"
echo "build_labextension: built fpgalab/labextension and installed it in $dest"
