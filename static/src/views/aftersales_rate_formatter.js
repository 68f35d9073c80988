import { registry } from "@web/core/registry";
import { formatPercentage } from "@web/views/fields/formatters";

/**
 * The analysis rates are stored as 0-100 numbers (so that averages are rates
 * in percent); shown with a percent sign in pivots and on graph axes
 * (widget="aftersales_rate").
 */
export function formatAftersalesRate(value, options = {}) {
    if (value === false || value === null || value === undefined) {
        return "";
    }
    return formatPercentage(value / 100, { digits: [16, 1], ...options });
}

registry.category("formatters").add("aftersales_rate", formatAftersalesRate);
