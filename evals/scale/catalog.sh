# evals/scale/catalog.sh — sourced by evals/scale/run and evals/load/run.
#
# build_catalog BIN N: migrate $DATABASE_URL and fill it with N products: the 541 demo products
# embedded by the local model, plus N - 541 editions of them (evals/bench/synthetic_catalog.py)
# whose vectors are their base product's plus Gaussian noise (evals/scale/editions.sql;
# embedding 100k texts with MiniLM on 2 cores would take about 20 minutes). Needs PSQL.
build_catalog() {
  local bin=$1 n=$2 tmp start
  "$bin" migrate >/dev/null
  "$bin" import evals/data/demo_catalog.jsonl >/dev/null
  "$bin" backfill >/dev/null
  if [ "$n" -gt 541 ]; then
    tmp=$(mktemp)
    python3 evals/bench/synthetic_catalog.py "$((n - 541))" > "$tmp"
    "$bin" import "$tmp" >/dev/null
    rm -f "$tmp"
    start=$(date +%s)
    "$PSQL" -qX -v ON_ERROR_STOP=1 "$DATABASE_URL" -f evals/scale/editions.sql
    echo "embedded $n products ($(( $(date +%s) - start )) s for the editions' vectors and their HNSW inserts)" >&2
  fi
}
