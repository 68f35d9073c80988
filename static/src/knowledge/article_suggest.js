import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";
import { _t } from "@web/core/l10n/translation";

// The inputs of a request form the suggestions read (the contract with the
// forms: controllers/knowledge.py).
const WATCHED = ["subject", "description", "category_id", "product_id"];
const MIN_QUERY = 3;
const DELAY_MS = 400;

/**
 * Articles suggested while a customer writes a request: bound to the
 * ``.o_aftersales_article_suggest`` block inside the form, it shows up to
 * five published articles matching what is typed so far, each with a link
 * and a "This solved it" button that counts a deflection and replaces the
 * form with a thank-you (the request is not sent).
 */
export class ArticleSuggest extends Interaction {
    static selector = ".o_aftersales_article_suggest";

    setup() {
        this.form = this.el.closest("form");
        this.lastKey = null;
        this.refresh = this.debounced(() => this.suggest(), DELAY_MS);
    }

    start() {
        if (!this.form) {
            return;
        }
        for (const name of WATCHED) {
            const input = this.form.querySelector(`[name="${name}"]`);
            if (input) {
                this.addListener(input, "input", () => this.refresh());
                this.addListener(input, "change", () => this.refresh());
            }
        }
        this.refresh();
    }

    field(name) {
        const input = this.form.querySelector(`[name="${name}"]`);
        return input ? input.value || "" : "";
    }

    params() {
        return {
            query: `${this.field("subject")} ${this.field("description")}`.trim(),
            category_id: parseInt(this.field("category_id"), 10) || false,
            product_id: parseInt(this.field("product_id"), 10) || false,
        };
    }

    async suggest() {
        const params = this.params();
        const key = JSON.stringify(params);
        if (key === this.lastKey) {
            return;
        }
        this.lastKey = key;
        if (params.query.length < MIN_QUERY && !params.product_id) {
            this.show([]);
            return;
        }
        const articles = await this.waitFor(rpc("/aftersales/articles/suggest", params));
        if (key === this.lastKey) {
            this.show(articles || []);
        }
    }

    make(tag, className, text) {
        const node = document.createElement(tag);
        if (className) {
            node.className = className;
        }
        if (text) {
            // Text only: titles and summaries never become markup.
            node.textContent = text;
        }
        return node;
    }

    show(articles) {
        this.el.replaceChildren();
        if (!articles.length) {
            return;
        }
        const box = this.make("div", "o_aftersales_suggestions alert alert-info my-2");
        box.append(this.make("div", "fw-bold mb-2", _t("These articles may solve it:")));
        const list = this.make("ul", "list-unstyled mb-0");
        for (const article of articles) {
            const item = this.make("li", "o_aftersales_suggestion mb-2");
            item.dataset.articleId = article.id;
            const link = this.make("a", "fw-bold o_aftersales_suggestion_link", article.name);
            link.href = article.url;
            link.target = "_blank";
            link.rel = "noopener";
            const solved = this.make(
                "button",
                "btn btn-sm btn-success ms-2 o_aftersales_solved",
                _t("This solved it")
            );
            solved.type = "button";
            solved.addEventListener("click", () => this.solved(article, solved));
            item.append(link, solved, this.make("div", "small text-muted", article.summary));
            list.append(item);
        }
        box.append(list);
        this.el.append(box);
    }

    async solved(article, button) {
        button.disabled = true;
        const params = this.params();
        const result = await this.waitFor(
            rpc(`/aftersales/articles/${article.id}/solved`, {
                channel: this.el.dataset.channel || "web",
                category_id: params.category_id,
                product_id: params.product_id,
            })
        );
        if (!result.ok) {
            button.disabled = false;
            this.el.prepend(this.make("div", "alert alert-warning", result.message));
            return;
        }
        const thanks = this.make("div", "alert alert-success o_aftersales_article_thanks", result.message);
        thanks.setAttribute("role", "status");
        this.form.before(thanks);
        this.form.classList.add("d-none");
    }
}

/** Counts one view of an article's page (once per address and hour). */
export class ArticleViewCounter extends Interaction {
    static selector = ".o_aftersales_article_page[data-article-id]";

    start() {
        const id = parseInt(this.el.dataset.articleId, 10);
        if (id) {
            this.waitFor(rpc(`/aftersales/articles/${id}/viewed`, {}));
        }
    }
}

registry.category("public.interactions").add("aftersales.article_suggest", ArticleSuggest);
registry.category("public.interactions").add("aftersales.article_view_counter", ArticleViewCounter);
