import { onWillUpdateProps, useEffect, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { SmsWidget, smsWidget } from "@sms/components/sms_widget/fields_sms_widget";

/**
 * Odoo's SMS body widget, with a counter that follows the typing. Odoo 18's
 * text field saves its value on change only, so the stock counter waits for the
 * field to lose focus; this one counts what is in the box at each keystroke
 * (the value itself is still saved on change, as usual).
 */
export class TextMessagingSmsField extends SmsWidget {
    setup() {
        super.setup();
        this.typed = useState({ value: null });
        useEffect(
            (textarea) => {
                if (!textarea) {
                    return;
                }
                const onInput = () => {
                    this.typed.value = textarea.value;
                };
                textarea.addEventListener("input", onInput);
                return () => textarea.removeEventListener("input", onInput);
            },
            () => [this.textareaRef.el]
        );
        onWillUpdateProps(() => {
            this.typed.value = null;
        });
    }

    get countedValue() {
        if (this.typed.value !== null) {
            return this.typed.value;
        }
        return this.props.record.data[this.props.name] || "";
    }

    get encoding() {
        return this._extractEncoding(this.countedValue);
    }

    get nbrChar() {
        const content = this._getValueForSmsCounts(this.countedValue);
        return content.length + (content.match(/\n/g) || []).length;
    }
}

registry.category("fields").add("text_messaging_sms", {
    ...smsWidget,
    component: TextMessagingSmsField,
});
