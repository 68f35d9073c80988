import { registry } from "@web/core/registry";

// Loaded in the live chat support page (im_livechat.assets_livechat_support_tours)
// and, by the folder's glob, in web.assets_tests: it imports nothing of
// im_livechat, which the website's pages do not load.
const chat = ".o-livechat-root:shadow";
const botSays = (text) => `${chat} .o-mail-Message:contains("${text}")`;
const type = (text) => [
    { trigger: `${chat} .o-mail-Composer-input`, run: `edit ${text}` },
    { trigger: `${chat} .o-mail-Composer-input`, run: "press Enter" },
];

registry.category("web_tour.tours").add("aftersales_chatbot_tour", {
    steps: () => [
        { trigger: `${chat} .o-livechat-LivechatButton`, run: "click" },
        { trigger: botSays("I can open a service request for you.") },
        { trigger: `${chat} button:contains("A problem with a product")`, run: "click" },
        { trigger: botSays("Which e-mail address can we answer you at?") },
        ...type("my e-mail is secret"),
        { trigger: botSays("does not look like a valid email") },
        ...type("tour.visitor@example.com"),
        { trigger: botSays("And a phone number") },
        ...type("0532 123 45 67"),
        { trigger: botSays("Please describe it") },
        ...type("My washing machine TWM-0001 leaks water"),
        {
            // The multi-line answer is taken after the visitor stops typing
            // (im_livechat's Chatbot.MULTILINE_STEP_DEBOUNCE_DELAY, 10 s).
            trigger: botSays("Your service request is"),
            timeout: 30000,
        },
        { trigger: botSays("Our service desk will answer you by e-mail. Goodbye!") },
    ],
});
