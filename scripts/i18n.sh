#!/usr/bin/env bash
# Regenerate i18n/aftersales.pot from the code and bring fa.po, tr.po and sv.po in
# line with it (new strings appear untranslated, removed ones are dropped):
#   scripts/i18n.sh
# It installs the addon (no demo data) on a fresh database `as_i18n`, exports the
# template with Odoo's own exporter, then runs gettext's msgmerge.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB=${AFTERSALES_I18N_DB:-as_i18n}
setup_all
command -v msgmerge >/dev/null || die "msgmerge is missing (apt-get install gettext)."
CONF=$(mktemp)
trap 'rm -f "$CONF"' EXIT
printf '[options]\naddons_path = %s\ndb_host = %s\ndb_port = %s\ndb_user = %s\n' \
    "$ADDONS_PATH" "$PGHOST" "$PGPORT" "$PGUSER" >"$CONF"
if [ -n "${PGPASSWORD:-}" ]; then printf 'db_password = %s\n' "$PGPASSWORD" >>"$CONF"; fi

drop_db "$DB"
"${ODOO_BIN[@]}" -c "$CONF" -d "$DB" -i aftersales --stop-after-init --log-level=warn \
    --http-interface=127.0.0.1 || die "Installing aftersales failed."
"${ODOO_BIN[@]}" i18n export -c "$CONF" -d "$DB" -o "$REPO_DIR/i18n/aftersales.pot" aftersales \
    || die "Exporting the template failed."
for po in "$REPO_DIR"/i18n/*.po; do
    msgmerge --quiet --no-fuzzy-matching --no-wrap -N -U --backup=none "$po" "$REPO_DIR/i18n/aftersales.pot"
    msgattrib --no-obsolete --no-wrap -o "$po" "$po"
    printf '%s: ' "$(basename "$po")"
    msgfmt -c --statistics -o /dev/null "$po"
done
drop_db "$DB"
