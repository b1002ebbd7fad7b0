from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.segments import count_segments


class SmsTemplate(models.Model):
    _inherit = "sms.template"

    tm_example = fields.Text(
        "Example",
        compute="_compute_tm_example",
        help="The text rendered for the first record of the template's model.",
    )
    tm_example_info = fields.Char("Example Size", compute="_compute_tm_example")

    @api.depends("body", "model")
    def _compute_tm_example(self):
        first_records = {}
        for template in self:
            template.tm_example = template.tm_example_info = False
            model = template.model
            if not template.body or not model or model not in self.env:
                continue
            if model not in first_records:
                first_records[model] = template._tm_example_record()
            record = first_records[model]
            try:
                text = template._tm_render_example(record)
            except (UserError, AccessError, ValueError) as error:
                template.tm_example_info = str(error)
                continue
            info = count_segments(text)
            template.tm_example = text
            template.tm_example_info = self.env._(
                "%(segments)s segment(s), %(encoding)s, %(characters)s characters "
                "(%(remaining)s left in the last segment), for %(record)s",
                segments=info.segments,
                encoding="GSM-7" if info.encoding == "gsm7" else "Unicode",
                characters=info.characters,
                remaining=info.remaining,
                record=record.display_name
                or self.env._("an empty %(model)s", model=model),
            )

    def _tm_example_record(self):
        """The record an example is rendered for: the first one readable."""
        self.ensure_one()
        return self.env[self.model].search([], limit=1)

    def _tm_render_example(self, record):
        self.ensure_one()
        if not record:
            return self.env["sms.recipient.mixin"]._tm_render_without_record(
                self.body, self.model
            )
        # Render the text being edited (the form's unsaved body included).
        if self._origin and self.body == self._origin.body:
            return self._origin._render_field("body", record.ids)[record.id]
        return self.env["mail.render.mixin"]._render_template(
            self.body, self.model, record.ids
        )[record.id]
