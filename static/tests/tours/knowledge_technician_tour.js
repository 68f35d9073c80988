import { registry } from "@web/core/registry";

// A technician searches the knowledge base in the phone app.
registry.category("web_tour.tours").add("knowledge_technician_tour", {
    steps: () => [
        {
            content: "The job list is there",
            trigger: ".o_as_list .o_as_order",
        },
        {
            content: "Search the knowledge base",
            trigger: ".o_as_article_search",
            run: "edit lint",
        },
        {
            content: "The article is found",
            trigger: ".o_as_articles .o_as_article:contains(Tour dryer lint)",
        },
    ],
});
