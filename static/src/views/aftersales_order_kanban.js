import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { KanbanRenderer } from "@web/views/kanban/kanban_renderer";
import { kanbanView } from "@web/views/kanban/kanban_view";

/**
 * Work orders change state only through their steps (Accept, Start, ...), so
 * the status field is read-only and Odoo's kanban would refuse every drop
 * silently. Here a card dropped in another status column asks the server for
 * the step that leads there (action_kanban_move): it runs when the order's
 * rules allow it, opens the reason dialog for a reject, cancel or return, or
 * is refused with the server's message. The board then reloads.
 *
 * Grouped by stage (the business's names of the statuses), a drop asks
 * action_kanban_move_stage: a stage of the same status is picked, a stage of
 * another status runs the step leading there, as above.
 */
const MOVES = {
    state: "action_kanban_move",
    stage_id: "action_kanban_move_stage",
};

export class AftersalesOrderKanbanRenderer extends KanbanRenderer {
    setup() {
        super.setup();
        this.orm = useService("orm");
        this.actionService = useService("action");
    }

    get serverMove() {
        const { isGrouped, groupByField } = this.props.list;
        return (isGrouped && MOVES[groupByField?.name]) || false;
    }

    get isGroupedByState() {
        return Boolean(this.serverMove);
    }

    get canMoveRecords() {
        return this.isGroupedByState ? this.canResequenceRecords : super.canMoveRecords;
    }

    async sortRecordDrop(dataRecordId, dataGroupId, params) {
        const method = this.serverMove;
        if (!method) {
            return super.sortRecordDrop(...arguments);
        }
        const { parent } = params;
        parent?.classList.remove("o_kanban_hover");
        const targetGroupId = parent?.dataset.id;
        if (!targetGroupId || targetGroupId === dataGroupId) {
            return; // a column has no order of its own to keep
        }
        const { groups, model } = this.props.list;
        const target = groups.find((g) => g.id === targetGroupId);
        const source = groups.find((g) => g.id === dataGroupId);
        const record = source?.list.records.find((r) => r.id === dataRecordId);
        if (!target || !record || !target.value) {
            return;
        }
        this.toggleProcessing(dataRecordId, true);
        try {
            const action = await this.orm.call("aftersales.order", method, [
                [record.resId],
                target.value,
            ]);
            if (action && typeof action === "object") {
                await this.actionService.doAction(action, { onClose: () => model.load() });
            }
        } finally {
            this.toggleProcessing(dataRecordId, false);
            await model.load();
        }
    }
}

export const aftersalesOrderKanbanView = {
    ...kanbanView,
    Renderer: AftersalesOrderKanbanRenderer,
};

registry.category("views").add("aftersales_order_kanban", aftersalesOrderKanbanView);
