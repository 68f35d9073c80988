from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestUnitLookup(AftersalesCommon):
    """One search box finds a unit by each key, and the unit shows its owner,
    warranty, sales, deliveries and service history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.default_code = "TWM-LOOK"
        cls.wtype = cls.env["aftersales.warranty.type"].create({"name": "Lookup 2y"})
        cls.product.product_tmpl_id.aftersales_warranty_type_id = cls.wtype
        cls.other_lot = cls.env["stock.lot"].create(
            {"name": "OTHER-0001", "product_id": cls.product.id}
        )

    def _find(self, query, user=None):
        lookup = Form(
            self.env["aftersales.unit.lookup"].with_user(user or self.user_dispatcher)
        )
        lookup.query = query
        return lookup.save().lot_ids

    def test_lookup_by_each_key(self):
        _sale, delivered = self._deliver(self.product)
        warranty = self.env["aftersales.warranty"].search(
            [("lot_id", "=", delivered.id)]
        )
        self.assertEqual(
            self._find(delivered.name.lower()), delivered, "serial, any case"
        )
        self.assertEqual(self._find(warranty.card_number), delivered, "warranty card")
        self.assertEqual(
            self._find("twm-look"),
            self.lot | self.other_lot | delivered,
            "product code",
        )
        self.assertEqual(self._find("Test Cust"), delivered, "customer name")
        self.assertEqual(self._find("0530 111 22 33"), delivered, "customer phone")
        self.assertFalse(self._find("nothing like this"))
        self.assertFalse(self._find("  "))

    def test_unit_history(self):
        sale, lot = self._deliver(self.product)
        order = self._order_in_state("in_progress", lot_id=lot.id)
        approval = self.env["aftersales.approval"].create(
            {"order_id": order.id, "decision": "approved"}
        )
        # A dispatcher without sales or inventory rights.
        lot = lot.with_user(self.user_dispatcher)
        self.assertFalse(self.user_dispatcher.has_group("stock.group_stock_user"))
        self.assertEqual(lot.aftersales_owner_id, self.customer)
        self.assertEqual(lot.aftersales_warranty_state, "active")
        self.assertEqual(lot.aftersales_sale_line_ids, sale.order_line)
        self.assertEqual(lot.aftersales_delivery_line_ids.picking_id, sale.picking_ids)
        self.assertEqual(lot.aftersales_order_ids, order)
        self.assertEqual(lot.aftersales_approval_ids, approval)

    def test_center_staff_find_only_what_they_may_see(self):
        _sale, lot = self._deliver(self.product)
        # A customer's unit their center does not serve is not theirs to see
        # (security review F19: staff of private centers are internal users).
        self.assertFalse(self._find(lot.name, user=self.user_center))
        self._order_in_state("assigned", lot_id=lot.id)  # now their center serves it
        found = self._find(lot.name, user=self.user_center).with_user(self.user_center)
        self.assertEqual(found, lot)
        with self.assertRaises(AccessError):
            found.read(["aftersales_sale_line_ids"])
        self.assertTrue(found.aftersales_warranty_id)
        self.assertEqual(found.aftersales_owner_id, self.customer)
        # The lookup's unit card opens with everything it shows.
        unit_form = Form(found, view="aftersales.stock_lot_view_form_aftersales")
        self.assertEqual(unit_form.aftersales_owner_id, self.customer)
