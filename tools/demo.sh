#!/usr/bin/env bash
# Create a fresh database with aftersales and its demo data, then start Odoo on it.
# Usage: tools/demo.sh [database] (default: aftersales_demo; it is re-created)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB=${1:-aftersales_demo}
HTTP_PORT=${HTTP_PORT:-8069}
setup_all
ensure_rtlcss

echo "Creating database '$DB' with aftersales and demo data (about 2 minutes)..."
drop_db "$DB"
"${ODOO_BIN[@]}" "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$DB" \
    -i aftersales --with-demo --stop-after-init --log-level=warn \
    --http-interface=127.0.0.1 || die "Installing aftersales failed (see the log above)."

cat <<MSG

aftersales is ready on http://localhost:$HTTP_PORT/odoo/action-aftersales.aftersales_order_action
Demo logins (password = login):
  admin            administrator (all rights), password admin
  dispatcher       dispatcher: registers and assigns work orders
  center.istanbul  staff of Kadıköy Service Point
  center.ankara    staff of Çankaya Authorized Service
  tech.ahmet       technician in İstanbul
  tech.mehmet      technician in Ankara
Stop with Ctrl+C.
MSG
exec "${ODOO_BIN[@]}" "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$DB" \
    --db-filter="^$DB\$" --http-port="$HTTP_PORT" --http-interface="${HTTP_INTERFACE:-0.0.0.0}"
