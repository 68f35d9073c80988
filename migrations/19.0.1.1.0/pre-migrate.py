from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column

# Moved from res.company to stock.warehouse (issue 17): the parts operation
# types and the parent location of the centers' stock.
PICKING_TYPE_COLUMNS = (
    "aftersales_consume_type_id",
    "aftersales_warranty_consume_type_id",
    "aftersales_defective_type_id",
)
LOCATION_COLUMN = "aftersales_centers_location_id"


def migrate(cr, version):
    """The warehouse adopts the operation types and the service centers
    location its company created on first use, before the data of the new
    version creates the missing ones: a second set would number its
    transfers from 1 again (WH/SVP/00001) and leave the centers' stock under
    the old location."""
    if not column_exists(cr, "res_company", LOCATION_COLUMN):
        return
    for column in (*PICKING_TYPE_COLUMNS, LOCATION_COLUMN):
        if not column_exists(cr, "stock_warehouse", column):
            create_column(cr, "stock_warehouse", column, "int4")
    for column, table in (
        *((column, "stock_picking_type") for column in PICKING_TYPE_COLUMNS),
        (LOCATION_COLUMN, "stock_location"),
    ):
        # Each record goes to the warehouse it belongs to (the company's
        # first one when it was created).
        cr.execute(
            SQL(
                """
                UPDATE stock_warehouse w
                   SET %(column)s = r.id
                  FROM res_company c
                  JOIN %(table)s r ON r.id = c.%(column)s
                 WHERE r.warehouse_id = w.id
                   AND w.%(column)s IS NULL
                """,
                column=SQL.identifier(column),
                table=SQL.identifier(table),
            )
        )
