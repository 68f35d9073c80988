#!/usr/bin/env bash
# Run the benchmarks in bench/ on a fresh database (as_bench), printing their figures.
# Usage: [BENCH="assignment warranty_import sms"] scripts/bench.sh [extra arguments]
# BENCH=placement runs on a database of its own (as_bench_placement): aftersales
# with its demo data and Odoo's repair beside it, installed in that database only
# (repair is no dependency of the addon). BENCH=contract too (as_bench_contract):
# aftersales without demo, where it builds 10,000 contracts.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB=${AFTERSALES_BENCH_DB:-as_bench}
PLACEMENT_DB=${AFTERSALES_BENCH_PLACEMENT_DB:-${DB}_placement}
CONTRACT_DB=${AFTERSALES_BENCH_CONTRACT_DB:-${DB}_contract}
BENCHES=${BENCH:-assignment warranty_import sms}
setup_all
odoo_init() { "${ODOO_BIN[@]}" "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$1" \
    --stop-after-init --log-level=warn --http-interface=127.0.0.1 "${@:2}"; }

# The benchmarks that run on the shared database, those with one of their own left out.
SHARED_BENCHES=$(printf '%s\n' $BENCHES | grep -vxE 'placement|contract' || true)
if [ -n "$SHARED_BENCHES" ]; then
    drop_db "$DB"
    echo "Creating database '$DB' with aftersales (no demo)..."
    odoo_init "$DB" -i aftersales || die "Installing aftersales failed."
fi
if [[ " $BENCHES " == *" placement "* ]]; then
    drop_db "$PLACEMENT_DB"
    echo "Creating database '$PLACEMENT_DB' with aftersales, its demo data and repair..."
    # A Turkish company, as in scripts/demo.sh (the demo's customers and centers are there).
    odoo_init "$PLACEMENT_DB" -i base --with-demo || die "Creating '$PLACEMENT_DB' failed."
    "${ODOO_BIN[@]}" shell "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$PLACEMENT_DB" \
        --no-http --log-level=warn >/dev/null <<'PY' || die "Setting the company's country failed."
company = env.ref("base.main_company")
company.write({"country_id": env.ref("base.tr").id, "state_id": env.ref("base.state_tr_34").id})
env.cr.commit()
PY
    odoo_init "$PLACEMENT_DB" -i aftersales,repair || die "Installing aftersales and repair failed."
fi
if [[ " $BENCHES " == *" contract "* ]]; then
    drop_db "$CONTRACT_DB"
    echo "Creating database '$CONTRACT_DB' with aftersales (no demo)..."
    odoo_init "$CONTRACT_DB" -i aftersales || die "Installing aftersales failed."
fi
for name in $BENCHES; do
    echo "== bench/$name.py"
    bench_db=$DB
    if [ "$name" = placement ]; then bench_db=$PLACEMENT_DB; fi
    if [ "$name" = contract ]; then bench_db=$CONTRACT_DB; fi
    "$PYTHON" "$REPO_DIR/bench/$name.py" --database "$bench_db" "$@" \
        "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" --log-level=warn \
        || die "bench/$name.py failed"
done
