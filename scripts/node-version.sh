# The Node.js majors the project runs on, for the shell scripts (sourced by scripts/deploy.sh and
# .ci/run): package.json "engines" says the same (^24.0.0 || >=26.0.0), which is what every
# dependency accepts (vitest: ^24 or >=26; @grafana/lezer-logql: >=24); test/repo.compile.test.ts keeps
# the two equal.
node_supported() { [ "$1" -eq 24 ] || [ "$1" -ge 26 ]; }
