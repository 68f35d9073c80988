#!/usr/bin/env bash
# Run the whole aftersales test suite on a fresh database:
#   1. install aftersales (no demo), then upgrade, uninstall and install it again,
#      failing on any error or warning in Odoo's log;
#   2. run every test in tests/ with pytest-odoo (browser tours included).
# Usage: scripts/test.sh [extra pytest arguments]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB=${AFTERSALES_TEST_DB:-as_test}
LOG_DIR=$(mktemp -d)
setup_all pytest-odoo websocket-client
ensure_rtlcss

# Browser tours need Chromium; without it Odoo skips them silently.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing Chromium for the browser tests..."
        { apt-get update -qq && apt-get install -y -qq chromium; } >"$LOG_DIR/apt.log" 2>&1 \
            || die "Could not install Chromium (see $LOG_DIR/apt.log); browser tests need it."
    else
        die "Chromium is missing: browser tests need it (apt-get install chromium)."
    fi
fi

# Chromium's first start on a new machine (its profile, the font caches) can outlast
# the 10 s Odoo waits for its devtools port, which skips the first browser test:
# start it once before the tests.
BROWSER=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
timeout 60 "$BROWSER" --headless --no-sandbox --disable-gpu --dump-dom about:blank >/dev/null 2>&1 || true

# The settlement statement test renders a real PDF.
if ! command -v wkhtmltopdf >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing wkhtmltopdf for the PDF report test..."
        { apt-get update -qq && apt-get install -y -qq wkhtmltopdf; } >"$LOG_DIR/apt-wkhtmltopdf.log" 2>&1 \
            || die "Could not install wkhtmltopdf (see $LOG_DIR/apt-wkhtmltopdf.log)."
    else
        die "wkhtmltopdf is missing: the PDF report test needs it (apt-get install wkhtmltopdf)."
    fi
fi

odoo_step() {  # odoo_step NAME ARGS...: run Odoo, fail on any warning or error it logs
    local name=$1; shift
    echo "== $name"
    local log="$LOG_DIR/$name.log"
    "${ODOO_BIN[@]}" "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$DB" \
        --http-interface=127.0.0.1 --log-level=info "$@" >"$log" 2>&1 \
        || { tail -n 40 "$log"; die "$name failed (log: $log)"; }
    # Odoo's own environment notices are not about this addon.
    if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$log" \
        | grep -v -e 'addons path is not a directory: __editable__' >"$log.problems"; then
        cat "$log.problems"
        die "$name logged the warnings or errors above (log: $log)"
    fi
}

drop_db "$DB"
odoo_step install -i aftersales --stop-after-init
odoo_step upgrade -u aftersales --stop-after-init
echo "== uninstall"
"${ODOO_BIN[@]}" shell "${ODOO_DB_ARGS[@]}" --addons-path="$ADDONS_PATH" -d "$DB" --no-http \
    --log-level=warn >"$LOG_DIR/uninstall.log" 2>&1 <<'PY' || { tail -n 40 "$LOG_DIR/uninstall.log"; die "uninstall failed"; }
module = env["ir.module.module"].search([("name", "=", "aftersales")])
module.button_immediate_uninstall()
env.cr.commit()
assert env["ir.module.module"].search([("name", "=", "aftersales")]).state == "uninstalled"
assert "aftersales.order" not in env.registry.models
PY
odoo_step reinstall -i aftersales --stop-after-init

echo "== tests"
# Run from the `aftersales` link so that pytest-odoo imports odoo.addons.aftersales.tests.
ADDON_DIR="$ADDONS_LINK_DIR/aftersales"
cd "$ADDON_DIR"
set +e
"$PYTHON" -m pytest -p no:cacheprovider --rootdir="$ADDON_DIR" --odoo-database="$DB" \
    --odoo-addons-path="$ADDONS_PATH" --odoo-http -rs "$@" "$ADDON_DIR/tests" 2>&1 | tee "$LOG_DIR/pytest.log"
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || die "tests failed (pytest exit code $status)"
if grep -Eq '^=+ .*[0-9]+ skipped' "$LOG_DIR/pytest.log"; then
    die "tests were skipped (a browser test skips when Chromium or websocket-client is missing): see the 'SKIPPED' lines above"
fi
echo "All tests passed."
