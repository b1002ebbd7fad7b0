import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * Sandbox Phone: the texts each number received from the sandbox gateways,
 * shown as a phone would, and a way to answer them. Answers are posted to the
 * sandbox gateway's inbound webhook, the path a provider's callback takes.
 */
export class SandboxPhone extends Component {
    static template = "text_messaging.SandboxPhone";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.state = useState({
            gateways: [],
            numbers: [],
            selected: null,
            text: "",
            sending: false,
        });
        onWillStart(() => this.load());
    }

    async load() {
        const data = await this.orm.call("sms.sandbox.phone", "get_phone_data", []);
        this.state.gateways = data.gateways;
        this.state.numbers = data.numbers;
        if (!this.current && data.numbers.length) {
            this.state.selected = data.numbers[0].number;
        }
    }

    get current() {
        return this.state.numbers.find((entry) => entry.number === this.state.selected);
    }

    formatDate(value) {
        return formatDateTime(deserializeDateTime(value));
    }

    select(number) {
        this.state.selected = number;
        this.state.text = "";
    }

    async send(body) {
        const conversation = this.current;
        if (!conversation || !body.trim() || this.state.sending) {
            return;
        }
        const gateway =
            this.state.gateways.find((g) => g.id === conversation.gateway_id) ||
            this.state.gateways[0];
        this.state.sending = true;
        try {
            const response = await fetch(gateway.inbound_path, {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({
                    from: conversation.number,
                    to: gateway.sender,
                    body: body,
                }),
            });
            if (!response.ok) {
                this.notification.add(await response.text(), {
                    title: _t("The webhook refused the text"),
                    type: "danger",
                });
                return;
            }
            this.state.text = "";
            await this.load();
        } finally {
            this.state.sending = false;
        }
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            this.send(this.state.text);
        }
    }
}

registry.category("actions").add("text_messaging.sandbox_phone", SandboxPhone);
