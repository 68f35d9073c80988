# Shared set-up for scripts/demo.sh and scripts/test.sh: find Odoo 19 and
# PostgreSQL, install the Python requirements, expose this repository to Odoo
# as the addon folder `aftersales`.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
export PGHOST=${PGHOST:-127.0.0.1}
export PGPORT=${PGPORT:-5432}
export PGUSER=${PGUSER:-$(id -un)}

die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

check_odoo() {
    local version
    version=$("$PYTHON" -c 'import odoo.release as r; print(r.version_info[0])' 2>/dev/null) \
        || die "Odoo is not installed for $PYTHON ('import odoo' fails). Install Odoo 19 Community first (see README.md, Requirements)."
    [ "$version" = "19" ] || die "Odoo $version found, but aftersales needs Odoo 19."
    ODOO_ROOT=$("$PYTHON" -c 'import os, odoo.release as r; print(os.path.dirname(os.path.dirname(r.__file__)))')
    ODOO_BIN=("$PYTHON" -m odoo)
    if [ -x "$ODOO_ROOT/odoo-bin" ]; then ODOO_BIN=("$PYTHON" "$ODOO_ROOT/odoo-bin"); fi
}

check_postgres() {
    "$PYTHON" - <<'PY' || die "PostgreSQL does not answer on $PGHOST:$PGPORT as role '$PGUSER'. Start it, or set PGHOST/PGPORT/PGUSER/PGPASSWORD."
import os, psycopg2
psycopg2.connect(dbname="postgres", connect_timeout=5).close()
PY
}

install_requirements() {
    "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$REPO_DIR/requirements.txt" "$@" \
        || die "Could not install the Python requirements."
}

prepare_addons_path() {
    # Odoo finds an addon by its folder name: link this checkout as `aftersales`.
    ADDONS_LINK_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/aftersales/addons"
    mkdir -p "$ADDONS_LINK_DIR"
    ln -sfn "$REPO_DIR" "$ADDONS_LINK_DIR/aftersales"
    ADDONS_PATH="$ADDONS_LINK_DIR"
    if [ -d "$ODOO_ROOT/addons" ]; then ADDONS_PATH="$ODOO_ROOT/addons,$ADDONS_PATH"; fi
    ODOO_DB_ARGS=(--db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER")
    if [ -n "${PGPASSWORD:-}" ]; then ODOO_DB_ARGS+=(--db_password="$PGPASSWORD"); fi
}

drop_db() {
    "$PYTHON" - "$1" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
conn.cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % sys.argv[1])
PY
}

setup_all() {
    check_odoo
    check_postgres
    install_requirements "$@"
    prepare_addons_path
}

# Persian (right-to-left) pages and PDFs need Odoo's right-to-left stylesheets,
# which Odoo builds with the rtlcss command; without it they stay left to right.
ensure_rtlcss() {
    command -v rtlcss >/dev/null && return
    if [ "$(id -u)" = 0 ] && ! command -v npm >/dev/null && command -v apt-get >/dev/null; then
        { apt-get update -qq && apt-get install -y -qq npm; } >/dev/null 2>&1 \
            || die "Could not install npm, needed for rtlcss (right-to-left pages)."
    fi
    command -v npm >/dev/null || die "rtlcss is missing: right-to-left pages need it (npm install -g rtlcss)."
    echo "Installing rtlcss for right-to-left pages..."
    npm install --global --silent rtlcss >/dev/null 2>&1 \
        || die "Could not install rtlcss (npm install -g rtlcss)."
}
