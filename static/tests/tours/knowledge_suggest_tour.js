import { registry } from "@web/core/registry";

// A customer describes a problem under the knowledge base: matching
// articles are suggested, and "This solved it" ends it without a request.
registry.category("web_tour.tours").add("knowledge_suggest_tour", {
    steps: () => [
        {
            content: "Describe the problem",
            trigger: ".o_aftersales_article_help_form input[name=subject]",
            run: "edit Water stays in the drum, drain pump noise",
        },
        {
            content: "The matching published article is suggested",
            trigger: ".o_aftersales_suggestion:contains(Tour drain pump blocked)",
        },
        {
            content: "The unpublished one is not",
            trigger: ".o_aftersales_suggestions:not(:contains(Tour drain pump draft))",
        },
        {
            content: "It solved it",
            trigger: ".o_aftersales_suggestion:contains(Tour drain pump blocked) .o_aftersales_solved",
            run: "click",
        },
        {
            content: "Thanked; the form is gone",
            trigger: ".o_aftersales_article_thanks",
        },
        {
            content: "No request form left to send",
            trigger: "body:not(:has(.o_aftersales_article_help_form:visible))",
        },
    ],
});
