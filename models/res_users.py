from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._aftersales_set_home_action()
        return users

    def write(self, vals):
        if "group_ids" not in vals:
            return super().write(vals)
        # Only a role given now changes the home: other group changes (a
        # second company, a new app) leave it alone.
        had_role = self.filtered(lambda u: u._aftersales_has_role())
        res = super().write(vals)
        (self - had_role)._aftersales_set_home_action()
        return res

    def _aftersales_has_role(self):
        group = self.env.ref("aftersales.group_technician", raise_if_not_found=False)
        return bool(group) and group in self.all_group_ids

    def _aftersales_set_home_action(self):
        """Users given an after-sales role open After-Sales after login (the
        landing action sends each role where it works) instead of Discuss.
        A home action chosen by hand is kept."""
        action = self.env.ref(
            "aftersales.aftersales_action_landing", raise_if_not_found=False
        )
        if not action:
            return
        users = self.filtered(
            lambda u: not u.action_id and not u.share and u._aftersales_has_role()
        )
        if users:
            # The home action is each user's own preference; the dispatcher
            # or administrator granting the role may not write it on others.
            users_sudo = users.sudo()
            users_sudo.action_id = action.id

    @api.model
    def _aftersales_set_home_action_existing(self):
        """On install and upgrade: the users who already have a role, except
        the administrators, whose home Odoo's setup chose."""
        group = self.env.ref("aftersales.group_technician")
        admins = self.env.ref("base.user_admin") | self.env.ref("base.user_root")
        users = self.search([("all_group_ids", "in", group.ids)]) - admins
        users._aftersales_set_home_action()
