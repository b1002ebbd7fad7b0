/**
 * Tours of the Text Messaging app, run in headless Chromium by
 * tests/test_tours.py on the demo data (a small clinic).
 */
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

// The steps of web_tour's stepUtils these tours use, written out: its module
// moved between 18.0 (@web_tour/tour_service/tour_utils) and 19.0
// (@web_tour/tour_utils), and the tours run on both.
const saveForm = () => [
    {
        content: "save form",
        trigger: ".o_form_button_save:enabled",
        run: "click",
    },
    {
        content: "wait for save completion",
        trigger: ".o_form_readonly, .o_form_saved",
    },
];
const showAppsMenuItem = () => ({
    isActive: ["auto", "community", "desktop"],
    trigger: ".o_navbar_apps_menu button:enabled",
    tooltipPosition: "bottom",
    run: "click",
});

tours.add("text_messaging_gateway_tour", {
    url: "/odoo/action-text_messaging.sms_gateway_action",
    steps: () => [
        {
            content: "Open the Twilio gateway to configure",
            trigger: ".o_data_cell:contains(Tour Twilio)",
            run: "click",
        },
        {
            content: "The credentials are on the sheet, not on a hidden tab",
            trigger: "div[name=account_sid] input",
            run: "edit AC0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        },
        {
            trigger: "div[name=auth_token] input",
            run: "edit twilio-auth-token-s3cr3t-7c1d",
        },
        ...saveForm(),
        {
            content: "Test the connection",
            trigger: "button[name=action_test_connection]",
            run: "click",
        },
        {
            content: "The provider accepted the credentials",
            trigger: ".o_notification:contains(Connection works)",
        },
    ],
});

tours.add("text_messaging_custom_text_tour", {
    url: "/odoo",
    steps: () => [
        showAppsMenuItem(),
        {
            content: "Open the Text Messaging app",
            trigger: ".o_app[data-menu-xmlid='text_messaging.text_messaging_menu_root']",
            run: "click",
        },
        {
            content: "The app opens on the History",
            trigger: ".o_breadcrumb:contains(History) ~ *, .o_breadcrumb:contains(History)",
        },
        {
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Send a custom text",
            trigger: "[data-menu-xmlid='text_messaging.sms_custom_message_menu']",
            run: "click",
        },
        {
            trigger: ".modal div[name=partner_ids] input",
            run: "edit Olivia Bennett",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Olivia Bennett)",
            run: "click",
        },
        {
            trigger: ".modal div[name=partner_ids] .o_tag:contains(Olivia Bennett)",
        },
        {
            trigger: ".modal div[name=body] textarea",
            run: "edit Your knee brace arrived: pick it up at the front desk.",
        },
        {
            content: "The counter follows the typing",
            // "54 characters" on 18.0, "54/160" on 19.0.
            trigger: ".modal div[name=body] .o_sms_count:contains(54)",
        },
        {
            trigger: ".modal .modal-footer button[name=action_send]",
            run: "click",
        },
        {
            trigger: ".modal:contains(1 message(s) queued)",
        },
        {
            trigger: ".modal button[name=action_view_messages]",
            run: "click",
        },
        {
            content: "The text is in the History",
            trigger:
                ".o_list_view .o_data_row:has(.o_data_cell:contains(Custom)) .o_data_cell:contains(Olivia Bennett)",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name=body]:contains(knee brace)",
        },
    ],
});

tours.add("text_messaging_invoice_reminder_tour", {
    url: "/odoo/action-account.action_move_out_invoice_type",
    steps: () => [
        {
            content: "Select Noah's invoice",
            trigger: ".o_data_row:contains(Noah Reed) .o_list_record_selector input",
            run: "click",
        },
        {
            trigger: ".o_cp_action_menus button:contains(Actions)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o-dropdown-item:contains(Send Text Reminder)",
            run: "click",
        },
        {
            content: "The preview shows the rendered text, not placeholders",
            trigger: ".modal div[name=preview]:contains(Noah Reed):contains(is due on)",
        },
        {
            trigger: ".modal .modal-footer button[name=action_send]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(1 reminder(s) queued)",
        },
    ],
});

tours.add("text_messaging_sandbox_phone_tour", {
    url: "/odoo/action-text_messaging.sms_sandbox_phone_action",
    steps: () => [
        {
            content: "Olivia's phone received the clinic's texts",
            trigger: ".o_tm_phone_number[data-number='+12125550141']",
            run: "click",
        },
        {
            trigger: ".o_tm_phone_received:contains(Saturdays)",
        },
        {
            content: "Answer with a free text",
            trigger: ".o_tm_phone_input",
            run: "edit Running 5 minutes late, sorry!",
        },
        {
            trigger: ".o_tm_phone_send:enabled",
            run: "click",
        },
        {
            trigger: ".o_tm_phone_sent:contains(Running 5 minutes late)",
        },
        {
            content: "Reply STOP",
            trigger: ".o_tm_phone_stop:enabled",
            run: "click",
        },
        {
            content: "The number is opted out",
            trigger: ".o_tm_phone_number[data-number='+12125550141'] .o_tm_phone_optout",
        },
    ],
});

tours.add("text_messaging_mass_message_tour", {
    url: "/odoo/action-text_messaging.sms_mass_message_action",
    steps: () => [
        {
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: "div[name=name] input",
            run: "edit Closed on Monday",
        },
        {
            trigger: "div[name=category_ids] input",
            run: "edit Clinic",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Clinic client)",
            run: "click",
        },
        {
            trigger: "div[name=body] textarea",
            run: "edit The clinic is closed on Monday for a public holiday.",
        },
        {
            content: "Matching contacts minus the exclusions is what is sent",
            trigger: "div[name=to_send_count]:contains(17)",
        },
        {
            trigger: "button[name=action_review]",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Review)",
        },
        {
            trigger: ".o_form_view button[name=action_send]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Sending)",
        },
    ],
});

tours.add("text_messaging_mass_message_done_tour", {
    url: "/odoo/action-text_messaging.sms_mass_message_action",
    steps: () => [
        {
            trigger: ".o_data_row .o_data_cell:contains(Closed on Monday)",
            run: "click",
        },
        {
            content: "Sent to everyone: done",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Done)",
        },
        {
            trigger: "div[name=sent_count]:contains(17)",
        },
        {
            trigger: "div[name=remaining_count]:contains(0)",
        },
    ],
});
