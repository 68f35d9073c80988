#!/usr/bin/env bash
# Run the benchmarks in bench/ on a fresh database (as_bench), printing their figures.
# Usage: [BENCH="assignment warranty_import sms"] scripts/bench.sh [extra arguments]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB=${AFTERSALES_BENCH_DB:-as_bench}
setup_all
drop_db "$DB"
echo "Creating database '$DB' with aftersales (no demo)..."
"${ODOO_BIN[@]}" "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$DB" -i aftersales \
    --stop-after-init --log-level=warn --http-interface=127.0.0.1 || die "Installing aftersales failed."
for name in ${BENCH:-assignment warranty_import sms}; do
    echo "== bench/$name.py"
    "$PYTHON" "$REPO_DIR/bench/$name.py" --database "$DB" "$@" \
        "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" --log-level=warn \
        || die "bench/$name.py failed"
done
