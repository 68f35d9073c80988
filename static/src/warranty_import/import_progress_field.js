import { onMounted, onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import {
    ProgressBarField,
    progressBarField,
} from "@web/views/fields/progress_bar/progress_bar_field";

// How often a running import is reloaded, in milliseconds.
const POLL_DELAY = 2000;

/**
 * The progress bar of a warranty import, which reloads its record while the
 * import runs in the background (state "queued"), so the user sees it
 * progress and finish without reloading the page.
 */
export class ImportProgressField extends ProgressBarField {
    setup() {
        super.setup();
        onMounted(() => {
            this.interval = setInterval(() => this.poll(), POLL_DELAY);
        });
        onWillUnmount(() => clearInterval(this.interval));
    }

    async poll() {
        const record = this.props.record;
        if (record.data.state !== "queued" || this.polling) {
            return;
        }
        if (record.isNew || (await record.isDirty())) {
            return;
        }
        this.polling = true;
        try {
            await record.load();
        } finally {
            this.polling = false;
        }
    }
}

registry.category("fields").add("aftersales_import_progress", {
    ...progressBarField,
    component: ImportProgressField,
});
