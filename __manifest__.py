{
    "name": "Text Messaging",
    "summary": "Business texting: SMS gateways, automated reminders, history, consent and two-way messages",
    "version": "18.0.1.0.0",
    "category": "Marketing/SMS",
    "website": "https://github.com/text-messaging/text_messaging",
    "author": "text_messaging contributors",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["sms", "calendar", "account", "project"],
    "external_dependencies": {"python": ["phonenumbers", "requests"]},
    "data": [
        "security/text_messaging_groups.xml",
        "views/res_config_settings_views.xml",
        "views/text_messaging_menus.xml",
    ],
}
