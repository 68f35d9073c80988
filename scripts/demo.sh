#!/usr/bin/env bash
# Create a fresh database with aftersales and its demo data, then start Odoo on it.
# Usage: scripts/demo.sh [database] (default: aftersales_demo; it is re-created)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB=${1:-aftersales_demo}
HTTP_PORT=${HTTP_PORT:-8069}
setup_all
ensure_rtlcss

SMS_SINK_PORT=${SMS_SINK_PORT:-8071}
BASE_URL=${BASE_URL:-http://localhost:$HTTP_PORT}
odoo_run() { "${ODOO_BIN[@]}" "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$DB" \
    --stop-after-init --log-level=warn --http-interface=127.0.0.1 "$@"; }
odoo_shell() { "${ODOO_BIN[@]}" shell "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$DB" \
    --no-http --log-level=warn; }

echo "Creating database '$DB' with aftersales and demo data (about 4 minutes)..."
drop_db "$DB"
# 1. A Turkish company: its country decides the chart of accounts, the
#    currency (TRY) and the taxes (KDV) that Odoo's Turkish localization loads.
odoo_run -i base --with-demo || die "Creating the database failed (see the log above)."
odoo_shell >/dev/null <<'PY' || die "Setting the company's country failed."
company = env.ref("base.main_company")
company.write({"country_id": env.ref("base.tr").id, "state_id": env.ref("base.state_tr_34").id})
env.cr.commit()
PY
# (stock's demo data renames the company: install it before naming ours.)
odoo_run -i l10n_tr,stock || die "Installing the Turkish localization failed (see the log above)."
BASE_URL="$BASE_URL" odoo_shell >/dev/null <<'PY' || die "Configuring the demo company failed."
import os
company = env.ref("base.main_company")
# Odoo's accounting demo always loads its generic chart on the main company;
# replace it (and its demo entries) with the Turkish one.
env["account.chart.template"].try_loading("tr", company, install_demo=True)
company.write({
    "name": "Anadolu Beyaz Eşya A.Ş.",
    "street": "Büyükdere Caddesi 120",
    "city": "İstanbul",
    "zip": "34394",
    "phone": "+90 212 555 01 00",
    "email": "servis@example.com",
})
company.partner_id.tz = "Europe/Istanbul"
env.ref("base.user_admin").tz = "Europe/Istanbul"
# The localization's own demo company would only clutter the company switcher.
env["res.company"].search([("name", "=", "TR Company")]).action_archive()
# Links in the demo's SMS and e-mails open the address printed below.
env["ir.config_parameter"].set_param("web.base.url", os.environ["BASE_URL"])
env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
env.cr.commit()
PY
# 2. aftersales with its demo data, and the languages it ships.
odoo_run -i aftersales --load-language=tr_TR,fa_IR,sv_SE \
    || die "Installing aftersales failed (see the log above)."
# 3. The demo's SMS go to the local sink started below.
SMS_SINK_PORT="$SMS_SINK_PORT" odoo_shell >/dev/null <<'PY' || die "Configuring the SMS sink failed."
import os
env.ref("aftersales.demo_sms_gateway_sink").url = "http://127.0.0.1:%s/send" % os.environ["SMS_SINK_PORT"]
env.cr.commit()
PY

"$PYTHON" "$REPO_DIR/scripts/sms_sink.py" --port "$SMS_SINK_PORT" &
SINK_PID=$!
trap 'kill $SINK_PID 2>/dev/null' EXIT

cat <<MSG

aftersales is ready on $BASE_URL/odoo (company Anadolu Beyaz Eşya A.Ş., Türkiye, TRY).
Every login's password is the login. What to try with each:
  admin            administrator: Settings, configuration, everything below
  dispatcher       lands on the work orders to assign: Assign (one or a selection),
                   "Why this center?", Register Requests, Find a Unit (try 0537 123 45 07)
  center.istanbul  Kadıköy Service Point: accept or reject its jobs, choose the technician,
                   its settlements (print the statement)
  center.ankara    Çankaya Authorized Service: the same for Ankara
  tech.ahmet       technician in İstanbul: My Jobs; on a phone the app at $BASE_URL/my/technician
  tech.mehmet      technician in Ankara
  inspector        quality inspector: After-Sales > Quality Control > To Check
  accountant       settlements: Approve and Bill, vendor bills, customer invoices
  customer         portal customer Leyla Şimşek: $BASE_URL/my (orders, products,
                   approve and rate, the service-form PDF, request service)
  dealer           dealer desk of Ege Beyaz Eşya Bayii: $BASE_URL/my/dealer
  desk             service desk agent Cem Yalçın: After-Sales > Service Desk (requests of
                   every channel and stage, Convert); the public form $BASE_URL/service/request,
                   a site's QR page $BASE_URL/service/site/demo-kalamis-yali-7d41c9e2
Languages installed: Türkçe, فارسی (right to left), Svenska: switch in My Preferences
(backend) or the language menu of the portal.
SMS the demo sends are not delivered: read them at http://127.0.0.1:$SMS_SINK_PORT/
Stop with Ctrl+C.
MSG
"${ODOO_BIN[@]}" "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$DB" \
    --db-filter="^$DB\$" --http-port="$HTTP_PORT" --http-interface="${HTTP_INTERFACE:-0.0.0.0}" \
    --max-cron-threads=1  # two threads race on the stock scheduler's first run
