# Sourced by install.sh and test.sh: puts a Node.js of 22.18 or newer on PATH.
# Baseline runs its TypeScript directly (Node strips the types), which older
# Nodes cannot; on such machines Node 24 comes from the npm registry into
# .tools/node, without touching the system's Node.
node_is_recent() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)' 2>/dev/null
}
if ! node_is_recent; then
  if [ ! -x .tools/node/bin/node ]; then
    echo "install: Node $(node --version 2>/dev/null || echo none) is older than 22.18; fetching Node 24 into .tools/node" >&2
    npm install --global --prefix .tools/node --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  export PATH="$PWD/.tools/node/bin:$PATH"
fi
export npm_config_loglevel=error
